//! Article bodies: HTML cut down to what the mini-program's `rich-text` component renders,
//! and how long a body takes to read. No database here.
use std::collections::HashSet;
use std::sync::LazyLock;

/// Tags both `rich-text` renders and a sanitizer may let through: text structure, lists,
/// tables, images and links (which `rich-text` shows but does not follow). No scripts, forms,
/// frames, styles or event handlers: ammonia drops every attribute it does not know, `on*`
/// included, and keeps only http(s) URLs.
const TAGS: [&str; 48] = [
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.tags(HashSet::from(TAGS))
        .url_schemes(HashSet::from(["http", "https"]))
        .url_relative(ammonia::UrlRelative::Deny);
    b
});

static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(ammonia::Builder::empty);

/// The body as stored and served.
pub fn sanitize(body: &str) -> String {
    CLEANER.clean(body).to_string()
}

/// Visible characters of a body (what a reader reads), whitespace not counted.
pub fn text_chars(body: &str) -> usize {
    let text = TEXT_ONLY.clean(body).to_string();
    // Entities the cleaner escaped (`&amp;`, `&lt;`…) count as the one character they show.
    let mut count = 0;
    let mut in_entity = false;
    for c in text.chars() {
        match c {
            '&' => {
                in_entity = true;
                count += 1;
            }
            ';' if in_entity => in_entity = false,
            _ if in_entity => {}
            c if c.is_whitespace() => {}
            _ => count += 1,
        }
    }
    count
}

/// Reading speed assumed for the default minimum: Chinese text, about 400 characters a minute.
const CHARS_PER_MINUTE: usize = 400;
pub const MIN_SECONDS: i32 = 30;
pub const MAX_SECONDS: i32 = 1800;

/// The default `min_read_seconds`: the body's reading time, or three quarters of the audio or
/// video when that is longer, within 30 s to 30 min.
pub fn default_min_read(body: &str, media_seconds: Option<i32>) -> i32 {
    let text = (text_chars(body) * 60 / CHARS_PER_MINUTE) as i64;
    let media = i64::from(media_seconds.unwrap_or(0)) * 3 / 4;
    text.max(media)
        .clamp(i64::from(MIN_SECONDS), i64::from(MAX_SECONDS)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_unknown_tags_are_gone() {
        let dirty = r#"<p onclick="x()">红色<script>alert(1)</script><iframe src="https://e.com"></iframe><b style="color:red">足迹</b></p><img src="javascript:alert(1)"><a href="https://a.cn/x">链接</a><blink>闪</blink>"#;
        let clean = sanitize(dirty);
        assert!(
            !clean.contains("script") && !clean.contains("alert"),
            "{clean}"
        );
        assert!(
            !clean.contains("onclick") && !clean.contains("iframe"),
            "{clean}"
        );
        assert!(
            !clean.contains("style") && !clean.contains("blink"),
            "{clean}"
        );
        assert!(clean.contains("<p>红色<b>足迹</b></p>"), "{clean}");
        assert!(clean.contains(r#"<a href="https://a.cn/x" rel="noopener noreferrer">链接</a>"#));
        assert!(
            clean.contains("闪"),
            "the text of an unknown tag stays: {clean}"
        );
    }

    #[test]
    fn text_length_counts_what_shows() {
        assert_eq!(text_chars("<p>一二 三</p><p>a &amp; b</p>"), 6);
    }

    #[test]
    fn the_default_minimum_follows_length_within_bounds() {
        assert_eq!(default_min_read("短", None), MIN_SECONDS);
        assert_eq!(default_min_read(&"字".repeat(2000), None), 300);
        assert_eq!(default_min_read(&"字".repeat(100_000), None), MAX_SECONDS);
        assert_eq!(default_min_read("短", Some(600)), 450);
    }
}
