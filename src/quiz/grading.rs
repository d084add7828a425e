//! The quiz's pure rules: how a question is fixed into an attempt (shuffled, re-lettered) and
//! how an answer is graded. No database here.
use rand::seq::SliceRandom;

use crate::error::FieldIssue;
use crate::questions::dto::QuestionType;
use crate::questions::service::{Stored, normalise};

use super::dto::{AnswerInput, Given, RightAnswer, ShownOption};

/// A question as one attempt holds it: what it shows and its answer in the attempt's keys.
/// Grading reads only this, so editing the bank later changes nothing for the attempt.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub question_id: i64,
    pub version: i32,
    pub kind: QuestionType,
    pub stem: String,
    pub options: Vec<ShownOption>,
    pub key: RightAnswer,
    pub explanation: Option<String>,
    pub score: i32,
}

fn letter(i: usize) -> String {
    char::from(b'A' + (i as u8)).to_string()
}

/// Fixes `q` for one attempt: a choice question's options in a fresh random order, lettered
/// A, B, C… as shown, so neither the order nor a key says anything about how it was authored.
/// `judge` always shows 正确 then 错误.
pub fn snapshot(q: &Stored, score: i32, rng: &mut impl rand::Rng) -> Snapshot {
    let (options, key) = match q.kind {
        QuestionType::Single | QuestionType::Multiple => {
            let mut order: Vec<usize> = (0..q.content.options.len()).collect();
            order.shuffle(rng);
            let mut shown = Vec::new();
            let mut right = Vec::new();
            for (i, authored) in order.into_iter().enumerate() {
                let option = &q.content.options[authored];
                if option.correct {
                    right.push(letter(i));
                }
                shown.push(ShownOption {
                    key: letter(i),
                    text: option.text.clone(),
                });
            }
            (shown, RightAnswer::Keys(right))
        }
        QuestionType::Judge => {
            let shown = vec![
                ShownOption {
                    key: "A".into(),
                    text: "正确".into(),
                },
                ShownOption {
                    key: "B".into(),
                    text: "错误".into(),
                },
            ];
            let right = if q.content.answer == Some(true) {
                "A"
            } else {
                "B"
            };
            (shown, RightAnswer::Keys(vec![right.into()]))
        }
        QuestionType::Fill => (Vec::new(), RightAnswer::Blanks(q.content.blanks.clone())),
    };
    Snapshot {
        question_id: q.model.id,
        version: q.model.version,
        kind: q.kind,
        stem: q.model.stem.clone(),
        options,
        key,
        explanation: q.model.explanation.clone(),
        score,
    }
}

/// How many blanks a fill answer key has (0 for choice questions).
pub fn blank_count(key: &RightAnswer) -> usize {
    match key {
        RightAnswer::Blanks(b) => b.len(),
        RightAnswer::Keys(_) => 0,
    }
}

/// Reads one answer against the question it answers: keys must be the question's own, a fill
/// answer must have at most as many blanks as the question. `Ok(None)`: nothing answered.
pub fn read_given(
    input: &AnswerInput,
    kind: QuestionType,
    options: &[ShownOption],
    blanks: usize,
) -> Result<Option<Given>, (&'static str, FieldIssue)> {
    let choice = kind != QuestionType::Fill;
    match (&input.keys, &input.text, &input.blanks) {
        (None, None, None) => Ok(None),
        (Some(keys), None, None) if choice => {
            let mut keys: Vec<String> = keys.iter().map(|k| k.trim().to_uppercase()).collect();
            keys.sort();
            keys.dedup();
            if keys.iter().any(|k| !options.iter().any(|o| &o.key == k)) {
                return Err(("keys", FieldIssue::new("unknown_option")));
            }
            if kind != QuestionType::Multiple && keys.len() > 1 {
                return Err(("keys", FieldIssue::new("items").with("max", 1)));
            }
            // No key chosen: no answer (it clears a saved one).
            Ok((!keys.is_empty()).then_some(Given::Keys(keys)))
        }
        (None, Some(text), None) if !choice => {
            if blanks != 1 {
                return Err(("text", FieldIssue::new("answer_kind")));
            }
            Ok((!text.trim().is_empty()).then(|| Given::Blanks(vec![text.clone()])))
        }
        (None, None, Some(given)) if !choice => {
            if given.len() > blanks {
                return Err(("blanks", FieldIssue::new("items").with("max", blanks)));
            }
            if given.iter().any(|b| b.chars().count() > 200) {
                return Err(("blanks", FieldIssue::new("length").with("max", 200)));
            }
            let empty = given.iter().all(|b| b.trim().is_empty());
            Ok((!empty).then(|| Given::Blanks(given.clone())))
        }
        _ => Err(("answer", FieldIssue::new("answer_kind"))),
    }
}

/// Grades one answer: (right, points earned of `score`). A multiple's answer that is a strict,
/// non-empty subset of the right keys earns half (rounded down) when `partial_credit`, and is
/// still not right. A fill blank is right when it matches one of its accepted answers after
/// [`normalise`].
pub fn grade(
    key: &RightAnswer,
    given: Option<&Given>,
    score: i32,
    partial_credit: bool,
) -> (bool, i32) {
    match (key, given) {
        (RightAnswer::Keys(right), Some(Given::Keys(chosen))) => {
            if chosen == right {
                return (true, score);
            }
            let subset = !chosen.is_empty()
                && chosen.len() < right.len()
                && chosen.iter().all(|k| right.contains(k));
            if partial_credit && subset && right.len() > 1 {
                return (false, score / 2);
            }
            (false, 0)
        }
        (RightAnswer::Blanks(accepted), Some(Given::Blanks(filled))) => {
            let right = filled.len() == accepted.len()
                && filled.iter().zip(accepted).all(|(text, answers)| {
                    let text = normalise(text);
                    answers.iter().any(|a| normalise(a) == text)
                });
            if right { (true, score) } else { (false, 0) }
        }
        _ => (false, 0),
    }
}
