//! A subscribe message's fields as WeChat's template rules take them, checked before sending
//! (WeChat refuses the whole message for one field out of bounds). The key's prefix is its
//! type: `thing` (20 characters), `phrase` (5, no digits or letters), `name` (10),
//! `character_string` and `number` (32), `time` and `date` (a moment). Pure.
use serde_json::{Map, Value, json};

/// `value` cut to `max` characters, the last one an ellipsis when anything was cut.
pub fn fit(value: &str, max: usize) -> String {
    // Line breaks and controls as spaces, zero-width and other format characters gone: WeChat
    // refuses them in a field.
    let cleaned: String = value
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let value = cleaned.trim();
    if value.chars().count() <= max {
        return value.to_owned();
    }
    let mut cut: String = value.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The type of a field, from its key (`thing1` → `thing`).
fn kind(key: &str) -> &str {
    key.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// Whether one field's value is one WeChat takes for its key's type.
pub fn field_ok(key: &str, value: &str) -> bool {
    let chars = value.chars().count();
    if value.trim().is_empty() {
        return false;
    }
    match kind(key) {
        "thing" => chars <= 20,
        "name" => chars <= 10,
        "phrase" => chars <= 5 && !value.chars().any(|c| c.is_ascii_alphanumeric()),
        "character_string" => chars <= 32 && value.is_ascii(),
        "number" => chars <= 32 && value.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "time" | "date" => {
            chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M").is_ok()
                || chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
        }
        _ => chars <= 20,
    }
}

/// `fields` as the `data` of `subscribe/send`, or the first key whose value WeChat would
/// refuse.
pub fn data(fields: &[(&str, String)]) -> Result<Value, String> {
    let mut data = Map::new();
    for (key, value) in fields {
        if !field_ok(key, value) {
            return Err((*key).to_owned());
        }
        data.insert((*key).to_owned(), json!({ "value": value }));
    }
    Ok(Value::Object(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_title_is_cut_to_twenty_with_an_ellipsis() {
        let title = "重走杨匏安旧居有感：一位互联网企业党员的二十四小时";
        let cut = fit(title, 20);
        assert_eq!(cut.chars().count(), 20);
        assert!(cut.ends_with('…'));
        assert!(field_ok("thing1", &cut));
        assert!(!field_ok("thing1", title));
        assert_eq!(fit(" 短标题 ", 20), "短标题");
        assert_eq!(fit("第一行\n第二\u{200B}行", 20), "第一行 第二行");
    }

    #[test]
    fn each_type_has_its_rule() {
        assert!(field_ok("phrase2", "已通过"));
        assert!(!field_ok("phrase2", "通过了审核的投稿"));
        assert!(!field_ok("phrase2", "OK"));
        assert!(field_ok("time3", "2026-06-01 10:00"));
        assert!(!field_ok("time3", "昨天"));
        assert!(!field_ok("thing4", "  "));
        let err = data(&[("thing1", "好".into()), ("phrase2", "approved".into())]);
        assert_eq!(err, Err("phrase2".to_owned()));
        let ok = data(&[("thing1", "好".into())]).unwrap();
        assert_eq!(ok["thing1"]["value"], "好");
    }
}
