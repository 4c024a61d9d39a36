//! Namespace-agnostic XML reading and writing helpers.
//!
//! Responses are read into a small element tree with quick-xml's event reader, and each action
//! picks its fields by local name. One non-generic reader instead of serde derives per document
//! keeps the WebAssembly module small (the derives cost ~80 KB of it, measured with `twiggy`).

use crate::error::{Error, Result};
use quick_xml::events::Event;
use std::str::FromStr;

/// One element of a response: its local name, its text (unescaped, CDATA included) and children.
#[derive(Debug, Default)]
pub(crate) struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    /// The element's local name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The element's own text, untrimmed.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`, in document order.
    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child named `name`, untrimmed.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.child(name).map(Element::text)
    }

    /// The text of child `name` parsed as a `T` (surrounding space ignored); `None` when absent.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] when the child is there but is not a `T`.
    pub(crate) fn number<T: FromStr>(&self, name: &str, context: &'static str) -> Result<Option<T>> {
        self.field(name)
            .map(|text| {
                text.trim_ascii().parse().map_err(|_| Error::InvalidResponse {
                    context,
                    message: format!("<{name}> is not a number: \"{text}\""),
                })
            })
            .transpose()
    }

    /// Child `name` read as a boolean (`true`/`false`, `1`/`0`); `false` when absent.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] for any other text.
    pub(crate) fn flag(&self, name: &str, context: &'static str) -> Result<bool> {
        match self.field(name).map(str::trim_ascii) {
            None => Ok(false),
            Some(t) if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
            Some(t) if t.eq_ignore_ascii_case("false") || t == "0" || t.is_empty() => Ok(false),
            Some(t) => {
                Err(Error::InvalidResponse { context, message: format!("<{name}> is not true or false: \"{t}\"") })
            }
        }
    }
}

/// Reads `body` into its root element.
///
/// # Errors
/// [`Error::InvalidResponse`] for a document that is not well-formed or has no root element.
pub(crate) fn parse(body: &str, context: &'static str) -> Result<Element> {
    let bad = |message: String| Error::InvalidResponse { context, message };
    // Where, not quick-xml's words: its error texts would ship in the module (2.5 KB gzip).
    let malformed = |at: u64| bad(format!("not well-formed XML at byte {at}"));
    let mut reader = quick_xml::Reader::from_str(body);
    let mut open: Vec<Element> = Vec::new();
    loop {
        let at = reader.buffer_position();
        let closed = match reader.read_event().map_err(|_| malformed(at))? {
            Event::Start(e) => {
                open.push(Element { name: local_name(&e), ..Element::default() });
                None
            }
            Event::Empty(e) => Some(Element { name: local_name(&e), ..Element::default() }),
            Event::End(_) => open.pop(),
            Event::Text(t) => {
                append(&mut open, &t.decode().map_err(|_| malformed(at))?);
                None
            }
            Event::CData(t) => {
                append(&mut open, &t.decode().map_err(|_| malformed(at))?);
                None
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|_| malformed(at))?;
                let resolved = match r.resolve_char_ref().map_err(|_| malformed(at))? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| bad(format!("unknown entity &{name};")))?
                        .to_owned(),
                };
                append(&mut open, &resolved);
                None
            }
            Event::Eof => return Err(bad("no complete root element".into())),
            _ => None,
        };
        if let Some(element) = closed {
            match open.last_mut() {
                Some(parent) => parent.children.push(element),
                None => return Ok(element),
            }
        }
    }
}

fn local_name(start: &quick_xml::events::BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

/// Adds text to the innermost open element (text outside the root is ignored).
fn append(open: &mut [Element], text: &str) {
    if let Some(element) = open.last_mut() {
        element.text.push_str(text);
    }
}

/// The local name of the document's root element, if there is one.
pub(crate) fn root_name(body: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(body);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => return Some(local_name(&e)),
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Escapes text for an XML element.
pub(crate) fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_names() {
        assert_eq!(root_name("<?xml version=\"1.0\"?>\n\n  <Error><Code>x</Code></Error>").as_deref(), Some("Error"));
        assert_eq!(root_name("<s3:Result xmlns:s3=\"u\"/>").as_deref(), Some("Result"));
        assert_eq!(root_name("   ").as_deref(), None);
        assert_eq!(escape("\"a\"&<"), "&quot;a&quot;&amp;&lt;");
    }

    #[test]
    fn elements_by_local_name_with_entities_and_cdata() {
        let doc = parse(
            "<?xml version=\"1.0\"?><s3:R xmlns:s3=\"u\"><s3:Key>a &amp; b&#x20;&lt;c&gt;</s3:Key>\
             <N> 7 </N><T>true</T><P><V>1</V></P><P><V>2</V></P><E/><C><![CDATA[<raw>]]></C></s3:R>",
            "test",
        )
        .expect("parses");
        assert_eq!(doc.name(), "R");
        assert_eq!(doc.field("Key"), Some("a & b <c>"));
        assert_eq!(doc.number::<u16>("N", "test").expect("number"), Some(7));
        assert!(doc.flag("T", "test").expect("flag"));
        assert!(!doc.flag("Missing", "test").expect("absent"));
        assert_eq!(doc.children("P").filter_map(|p| p.field("V")).collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(doc.field("E"), Some(""));
        assert_eq!(doc.field("C"), Some("<raw>"));
        assert_eq!(doc.number::<u16>("Key", "test").expect_err("not a number").code(), "InvalidResponse");
    }

    #[test]
    fn broken_documents_are_errors() {
        for body in ["", "<A><B></A>", "<A>", "<A>&bogus;</A>", "text only"] {
            assert_eq!(parse(body, "test").expect_err(body).code(), "InvalidResponse", "{body}");
        }
    }
}
