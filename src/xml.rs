//! Namespace-agnostic XML reading and writing helpers.
//!
//! Responses are read into a small element tree by a small tokenizer, and each action picks its
//! fields by local name. One non-generic reader instead of serde derives per document
//! keeps the WebAssembly module small (the derives cost ~80 KB of it, measured with `twiggy`).

use crate::error::{Error, Result};
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

/// One piece of a document, as [`Tokens`] reads it: names are qualified (`s3:Key`), text is raw.
enum Token<'a> {
    Start(&'a str),
    Empty(&'a str),
    End(&'a str),
    Text(&'a str),
    CData(&'a str),
    /// A comment, a processing instruction or the declaration, or a DOCTYPE: read past.
    Markup,
}

/// A well-formedness fault, at a byte offset.
struct Malformed(usize);

/// The tokens of a document: elements, text and CDATA; the declaration, processing instructions,
/// comments and a DOCTYPE are [`Token::Markup`], attributes are read past. Hand-written rather than
/// quick-xml's reader: it does only what reading a service's answer needs, for ~8 KB less wasm.
struct Tokens<'a> {
    body: &'a str,
    at: usize,
}

impl<'a> Tokens<'a> {
    /// The next token, `None` at the end of the document.
    fn next_token(&mut self) -> core::result::Result<Option<Token<'a>>, Malformed> {
        let start = self.at;
        let rest = &self.body[start..];
        if rest.is_empty() {
            return Ok(None);
        }
        let Some(rest) = rest.strip_prefix('<') else {
            let len = rest.find('<').unwrap_or(rest.len());
            self.at += len;
            return Ok(Some(Token::Text(&rest[..len])));
        };
        // What lies between `skip` bytes past the '<' and the next `end`; the reading goes on after `end`.
        let upto = |this: &mut Self, skip: usize, end: &str| {
            let found = rest.get(skip..).and_then(|r| r.find(end)).ok_or(Malformed(start))?;
            this.at = start + 1 + skip + found + end.len();
            Ok(&rest[skip..skip + found])
        };
        let token = if rest.starts_with("![CDATA[") {
            Token::CData(upto(self, 8, "]]>")?)
        } else if rest.starts_with("!--") {
            upto(self, 3, "-->")?;
            Token::Markup
        } else if rest.starts_with('?') {
            upto(self, 1, "?>")?;
            Token::Markup
        } else if rest.starts_with('!') {
            // A DOCTYPE, with its internal subset when it has one.
            let subset = rest.find('[').is_some_and(|open| rest.find('>').is_some_and(|close| open < close));
            upto(self, 1, if subset { "]>" } else { ">" })?;
            Token::Markup
        } else if rest.starts_with('/') {
            let name = upto(self, 1, ">")?.trim_end_matches(|c: char| c.is_ascii_whitespace());
            if !is_name(name) {
                return Err(Malformed(start));
            }
            Token::End(name)
        } else {
            self.start_tag(start, rest)?
        };
        Ok(Some(token))
    }

    /// A start or empty-element tag; `rest` follows its '<'. Attribute values may hold '>' and '/'.
    fn start_tag(&mut self, start: usize, rest: &'a str) -> core::result::Result<Token<'a>, Malformed> {
        let mut quote = None;
        for (i, b) in rest.bytes().enumerate() {
            match (quote, b) {
                (Some(q), _) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'>') => {
                    self.at = start + 1 + i + 1;
                    let tag = &rest[..i];
                    let empty = tag.ends_with('/');
                    let tag = tag.strip_suffix('/').unwrap_or(tag);
                    let name = &tag[..tag.find(|c: char| c.is_ascii_whitespace()).unwrap_or(tag.len())];
                    if !is_name(name) {
                        return Err(Malformed(start));
                    }
                    return Ok(if empty { Token::Empty(name) } else { Token::Start(name) });
                }
                (None, _) => {}
            }
        }
        Err(Malformed(start))
    }
}

/// Whether `name` can be an element's (qualified) name: not empty, no markup or space in it.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
        && !name.contains(|c: char| c.is_ascii_whitespace() || "<>/\"'=&".contains(c))
}

/// The part of a qualified name after its prefix.
fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// Reads `body` into its root element.
///
/// # Errors
/// [`Error::InvalidResponse`] for a document that is not well-formed or has no root element.
pub(crate) fn parse(body: &str, context: &'static str) -> Result<Element> {
    let bad = |message: String| Error::InvalidResponse { context, message };
    let malformed = |Malformed(at)| bad(format!("not well-formed XML at byte {at}"));
    let mut tokens = Tokens { body, at: 0 };
    // The open elements, each with its qualified name (an end tag must repeat it).
    let mut open: Vec<(Element, &str)> = Vec::new();
    loop {
        let at = tokens.at;
        let closed = match tokens.next_token().map_err(malformed)? {
            Some(Token::Start(name)) => {
                open.push((Element { name: local_name(name).to_owned(), ..Element::default() }, name));
                None
            }
            Some(Token::Empty(name)) => Some(Element { name: local_name(name).to_owned(), ..Element::default() }),
            Some(Token::End(name)) => match open.pop() {
                Some((element, opened)) if opened == name => Some(element),
                _ => return Err(malformed(Malformed(at))),
            },
            Some(Token::Text(text)) => {
                // Text outside the root element is ignored.
                if let Some((element, _)) = open.last_mut() {
                    unescape_into(&mut element.text, text, at).map_err(malformed)?;
                }
                None
            }
            Some(Token::CData(text)) => {
                if let Some((element, _)) = open.last_mut() {
                    element.text.push_str(text);
                }
                None
            }
            Some(Token::Markup) => None,
            None => return Err(bad("no complete root element".into())),
        };
        if let Some(element) = closed {
            match open.last_mut() {
                Some((parent, _)) => parent.children.push(element),
                None => return Ok(element),
            }
        }
    }
}

/// Appends `text` (found at byte `at`) to `out` with its entity and character references
/// resolved; an unknown or broken reference is malformed there.
fn unescape_into(out: &mut String, text: &str, at: usize) -> core::result::Result<(), Malformed> {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let offset = at + text.len() - rest.len() + amp;
        let (name, after) = rest[amp + 1..].split_once(';').ok_or(Malformed(offset))?;
        let resolved = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => name.strip_prefix('#').filter(|code| !code.contains('+')).and_then(|code| {
                let number = match code.strip_prefix('x') {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => code.parse(),
                };
                number.ok().filter(|&n| n != 0).and_then(char::from_u32)
            }),
        };
        out.push(resolved.ok_or(Malformed(offset))?);
        rest = after;
    }
    out.push_str(rest);
    Ok(())
}

/// The local name of the document's root element, if there is one.
pub(crate) fn root_name(body: &str) -> Option<String> {
    let mut tokens = Tokens { body, at: 0 };
    loop {
        match tokens.next_token() {
            Ok(Some(Token::Start(name) | Token::Empty(name))) => return Some(local_name(name).to_owned()),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Escapes text for an XML element.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
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
    fn markup_around_and_inside_the_root() {
        let doc = parse(
            "\u{feff}<?xml version='1.0'?><!-- c > --><!DOCTYPE R [<!ENTITY e \"x\">]>\n<R a='1>/' b=\"'\" >\
             <?pi x?><!--<K>--><K\t/>x<s:K>&#10;</s:K ></R>trailing",
            "test",
        )
        .expect("parses");
        assert_eq!((doc.name(), doc.text()), ("R", "x"));
        assert_eq!(doc.children("K").map(Element::text).collect::<Vec<_>>(), ["", "\n"]);
        let many = format!("<A>{}</A>", "<!---->x".repeat(100_000));
        assert_eq!(parse(&many, "test").expect("many comments").text().len(), 100_000);
    }

    #[test]
    fn broken_documents_are_errors() {
        for body in [
            "",
            "<A><B></A>",
            "<A>",
            "<A>&bogus;</A>",
            "text only",
            "<A></B>",
            "<A><!-- </A>",
            "<A><![CDATA[x</A>",
            "<A b='>",
            "<>x</>",
            "<A>&#0;</A>",
            "<A>&#xD800;</A>",
            "<A>&amp</A>",
            "<A>a < b</A>",
            "</A>",
            "<A>&#x;</A>",
            "<A>&#+65;</A>",
        ] {
            assert_eq!(parse(body, "test").expect_err(body).code(), "InvalidResponse", "{body}");
        }
    }

    /// The old reader, on quick-xml's events: the independent reference for the tokenizer.
    #[cfg(not(target_arch = "wasm32"))]
    fn reference(body: &str) -> Option<Element> {
        use quick_xml::events::Event;
        let name =
            |e: &quick_xml::events::BytesStart<'_>| String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let mut reader = quick_xml::Reader::from_str(body);
        let mut open: Vec<Element> = Vec::new();
        loop {
            let text = match reader.read_event().ok()? {
                Event::Start(e) => {
                    open.push(Element { name: name(&e), ..Element::default() });
                    continue;
                }
                Event::Empty(e) => {
                    let element = Element { name: name(&e), ..Element::default() };
                    match open.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return Some(element),
                    }
                    continue;
                }
                Event::End(_) => {
                    let element = open.pop()?;
                    match open.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return Some(element),
                    }
                    continue;
                }
                Event::Text(t) => t.decode().ok()?.into_owned(),
                Event::CData(t) => t.decode().ok()?.into_owned(),
                Event::GeneralRef(r) => match r.resolve_char_ref().ok()? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r.decode().ok()?)?.to_owned(),
                },
                Event::Eof => return None,
                _ => continue,
            };
            if let Some(element) = open.last_mut() {
                element.text.push_str(&text);
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod against_quick_xml {
        use super::*;
        use proptest::prelude::*;

        /// Well-formed documents: prefixed and plain names, attributes holding markup, text with
        /// references, CDATA, comments, processing instructions and empty elements.
        fn document() -> impl Strategy<Value = String> {
            let name = prop::sample::select(vec!["A", "s3:Key", "Part", "x.y-z_1", "n:\u{e9}t\u{e9}"]);
            let text = prop::sample::select(vec![
                "",
                " plain text ",
                "a &amp; b &lt;c&gt; &apos;&quot;",
                "&#65;&#x42;&#x1F600;",
                "<![CDATA[<not> &amp; markup]]>",
                "<!-- a comment -->",
                "<?pi data?>",
                "\u{e9}\u{4e2d}",
                "> ]] ' \"",
            ]);
            let attributes = prop::sample::select(vec!["", " a=\"1\"", " a='>/' b=\"'\"", " xmlns:s3=\"u\"\n", "\t"]);
            let leaf = (name.clone(), attributes.clone(), text.clone(), any::<bool>())
                .prop_map(|(n, a, t, empty)| if empty { format!("<{n}{a}/>") } else { format!("<{n}{a}>{t}</{n}>") });
            leaf.prop_recursive(4, 48, 6, move |inner| {
                (name.clone(), attributes.clone(), prop::collection::vec((inner, text.clone()), 0..6)).prop_map(
                    |(n, a, kids)| {
                        let kids: String = kids.into_iter().map(|(k, t)| k + t).collect();
                        format!("<{n}{a}>{kids}</{n} >")
                    },
                )
            })
        }

        proptest! {
            #[test]
            fn reads_what_quick_xml_reads(doc in document(), prolog in prop::sample::select(vec!["", "<?xml version=\"1.0\"?>\n", "<!-- c -->  "])) {
                let body = format!("{prolog}{doc}");
                let ours = parse(&body, "test").expect("well-formed");
                let theirs = reference(&body).expect("quick-xml reads it");
                prop_assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
                prop_assert_eq!(root_name(&body), Some(theirs.name));
            }

            #[test]
            fn escapes_as_quick_xml_does(text in "\\PC{0,40}") {
                prop_assert_eq!(escape(&text), quick_xml::escape::escape(text.as_str()).into_owned());
                let doc = parse(&format!("<A>{}</A>", escape(&text)), "test").expect("escaped text reads back");
                prop_assert_eq!(doc.text(), text.as_str());
            }

            #[test]
            fn any_text_is_read_or_refused_without_a_panic(body in "[<>/!?&#;a-c\\[\\]'\" -]{0,60}") {
                let _ = parse(&body, "test");
                let _ = root_name(&body);
            }
        }
    }
}
