//! Reads a body of Moodle's REST XML format (`webservice/rest/locallib.php`) into the shape the
//! JSON format has, so both are compared by the same rules: `SINGLE` → object of its `KEY
//! name=`s, `MULTIPLE` → list, `VALUE` → string (`null="null"` → null), an empty `RESPONSE` →
//! null, `EXCEPTION class=` → `{"exception", "errorcode", "message", "debuginfo"}`. Anything
//! else in the document is an error, so a malformed answer cannot pass.

use quick_xml::events::Event;
use serde_json::{Map, Value};

/// A parsed REST XML body.
#[derive(Debug)]
pub struct Document {
    /// The root element: `RESPONSE` or `EXCEPTION`.
    pub root: String,
    /// Its content.
    pub value: Value,
}

#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Structure elements may only hold whitespace between their children.
    fn only_elements(&self) -> Result<(), String> {
        if self.text.trim().is_empty() {
            Ok(())
        } else {
            Err(format!(
                "text {:?} inside <{}>",
                self.text.trim(),
                self.name
            ))
        }
    }
}

/// Parses a REST XML body.
pub fn parse(text: &str) -> Result<Document, String> {
    let root = tree(text)?;
    root.only_elements()?;
    let value = match root.name.as_str() {
        "RESPONSE" => match root.children.as_slice() {
            [] => Value::Null,
            [only] => content(only)?,
            _ => return Err("<RESPONSE> with more than one child".into()),
        },
        "EXCEPTION" => {
            let mut map = Map::new();
            let class = root.attr("class").ok_or("<EXCEPTION> without class")?;
            map.insert("exception".into(), Value::String(class.to_owned()));
            for child in &root.children {
                if !child.children.is_empty() {
                    return Err(format!("<{}> inside <EXCEPTION> has elements", child.name));
                }
                let key = child.name.to_ascii_lowercase();
                if map.insert(key, Value::String(child.text.clone())).is_some() {
                    return Err(format!("<{}> twice in <EXCEPTION>", child.name));
                }
            }
            map.into()
        }
        other => return Err(format!("root element <{other}>")),
    };
    Ok(Document {
        root: root.name,
        value,
    })
}

fn content(el: &Element) -> Result<Value, String> {
    match el.name.as_str() {
        "VALUE" => {
            if !el.children.is_empty() {
                return Err("<VALUE> with elements".into());
            }
            match el.attr("null") {
                Some("null") if el.text.is_empty() => Ok(Value::Null),
                Some(other) => Err(format!("<VALUE null={other:?}> with text {:?}", el.text)),
                None => Ok(Value::String(el.text.clone())),
            }
        }
        "MULTIPLE" => {
            el.only_elements()?;
            el.children
                .iter()
                .map(content)
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        "SINGLE" => {
            el.only_elements()?;
            let mut map = Map::new();
            for key in &el.children {
                key.only_elements()?;
                let name = match (key.name.as_str(), key.attr("name")) {
                    ("KEY", Some(name)) => name,
                    _ => return Err(format!("<{}> inside <SINGLE>", key.name)),
                };
                let [only] = key.children.as_slice() else {
                    return Err(format!("<KEY name={name:?}> without exactly one value"));
                };
                if map.insert(name.to_owned(), content(only)?).is_some() {
                    return Err(format!("<KEY name={name:?}> twice"));
                }
            }
            Ok(map.into())
        }
        other => Err(format!("unexpected <{other}>")),
    }
}

/// The element tree of a document (declaration, comments and processing instructions skipped).
fn tree(text: &str) -> Result<Element, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let err = |e: &dyn std::fmt::Display| e.to_string();
    loop {
        let event = reader.read_event().map_err(|e| err(&e))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && stack.is_empty() => {
                return Err("a second root element".into());
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let mut el = Element {
                    name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                    ..Element::default()
                };
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| err(&e))?;
                    let value = attr.unescape_value().map_err(|e| err(&e))?;
                    el.attrs.push((
                        String::from_utf8_lossy(attr.key.as_ref()).into_owned(),
                        value.into_owned(),
                    ));
                }
                if matches!(event, Event::Start(_)) {
                    stack.push(el);
                } else {
                    close(el, &mut stack, &mut root);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("closing tag without an open element")?;
                close(el, &mut stack, &mut root);
            }
            Event::Text(t) => push_text(&mut stack, &t.xml_content().map_err(|e| err(&e))?)?,
            Event::CData(t) => push_text(&mut stack, &t.decode().map_err(|e| err(&e))?)?,
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| err(&e))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| err(&e))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?
                            .to_owned()
                    }
                };
                push_text(&mut stack, &c)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> not closed", open.name));
    }
    root.ok_or_else(|| "no root element".to_owned())
}

fn close(el: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some(el) => {
            el.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(format!("text {:?} outside the root element", text.trim())),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_response_reads_as_the_json_shape() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<RESPONSE>\n<SINGLE>\n<KEY name=\"sitename\"><VALUE>A &amp; B</VALUE>\n</KEY>\n<KEY name=\"key\"><VALUE>&lt;PRIVATEACCESSKEY&gt;</VALUE>\n</KEY>\n<KEY name=\"home\"><VALUE null=\"null\"/>\n</KEY>\n<KEY name=\"functions\"><MULTIPLE>\n<SINGLE>\n<KEY name=\"name\"><VALUE>f</VALUE>\n</KEY>\n</SINGLE>\n</MULTIPLE>\n</KEY>\n</SINGLE>\n</RESPONSE>\n";
        let doc = parse(body).expect("parses");
        assert_eq!(doc.root, "RESPONSE");
        assert_eq!(
            doc.value,
            json!({"sitename": "A & B", "key": "<PRIVATEACCESSKEY>", "home": null, "functions": [{"name": "f"}]})
        );
    }

    #[test]
    fn an_exception_reads_as_the_json_error_shape() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<EXCEPTION class=\"core\\exception\\moodle_exception\">\n<ERRORCODE>invalidtoken</ERRORCODE>\n<MESSAGE>Invalid token - token not found</MESSAGE>\n</EXCEPTION>\n";
        let doc = parse(body).expect("parses");
        assert_eq!(doc.root, "EXCEPTION");
        assert_eq!(
            doc.value,
            json!({"exception": "core\\exception\\moodle_exception", "errorcode": "invalidtoken", "message": "Invalid token - token not found"})
        );
    }

    #[test]
    fn malformed_or_foreign_xml_is_refused() {
        assert!(parse("<RESPONSE><SINGLE><KEY name=\"a\"></KEY></SINGLE></RESPONSE>").is_err());
        assert!(parse("<RESPONSE><VALUE>1</VALUE><VALUE>2</VALUE></RESPONSE>").is_err());
        assert!(parse("<html><body>error</body></html>").is_err());
        assert!(parse("<RESPONSE><SINGLE>").is_err());
        assert_eq!(
            parse("<RESPONSE>\n</RESPONSE>").expect("parses").value,
            Value::Null
        );
    }
}
