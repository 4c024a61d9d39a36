//! Namespace-agnostic XML reading and writing helpers.

use crate::error::{Error, Result};
use quick_xml::events::Event;
use serde::de::DeserializeOwned;

/// Deserialises `body` into `T`, matching elements by local name.
pub(crate) fn parse<T: DeserializeOwned>(body: &str, context: &'static str) -> Result<T> {
    quick_xml::de::from_str(body).map_err(|e| Error::InvalidResponse { context, message: e.to_string() })
}

/// The local name of the document's root element, if there is one.
pub(crate) fn root_name(body: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(body);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
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
}
