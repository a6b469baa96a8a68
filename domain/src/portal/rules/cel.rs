//! Compiling and running CEL rules: bounded before parsing, run on a stack of their
//! own, never failing a request (a broken rule leaves the decision to a person).

use std::panic::{catch_unwind, AssertUnwindSafe};

use cel_interpreter::{Context, ExecutionError, Program, Value};
use serde::{Deserialize, Serialize};

use super::model::{Rule, RuleInput, MAX_EXPRESSION_LEN};
use crate::{DomainError, DomainResult};

/// CEL's parser (ANTLR, recursive descent) and evaluator recurse once per level of
/// nesting, with large frames: in a debug build a 2 MiB thread — a tokio worker's
/// — overflows at about 15 levels of brackets, and a stack overflow aborts the
/// process (no `catch_unwind` can stop it). So expressions are bounded before
/// parsing ([`nesting`]), and parsing and evaluation run on a thread of their own
/// with this much stack: the bound holds on 2 MiB, this leaves 16 times that.
pub(crate) const CEL_STACK_BYTES: usize = 32 << 20;

/// Runs `f` on a thread with [`CEL_STACK_BYTES`] of stack; `None` if it panicked
/// (or no thread could be started).
pub(crate) fn on_cel_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("cel".into())
            .stack_size(CEL_STACK_BYTES)
            .spawn_scoped(s, f)
            .ok()?
            .join()
            .ok()
    })
}

pub(crate) fn too_deep(field: &'static str) -> DomainError {
    DomainError::invalid(
        field,
        format!(
            "nests too deeply (at most {} levels, a bracket counting {BRACKET_LEVELS}): split it into simpler conditions",
            limits::RULE_NESTING
        ),
    )
}

/// Checks that an expression can be used: bounded, compiles, names only
/// `request`, `client` and `developer`, and gives a boolean.
pub fn compile(field: &'static str, src: &str) -> DomainResult<()> {
    compile_for(field, src, &RuleInput::sample())
}

/// [`compile`], checking the names against `sample` (a scope request's, or an
/// admission's, whose variables differ).
pub fn compile_for(field: &'static str, src: &str, sample: &RuleInput) -> DomainResult<()> {
    let src = src.trim();
    if src.is_empty() {
        return Err(DomainError::invalid(field, "is empty"));
    }
    crate::platform::text::check_len(field, src, MAX_EXPRESSION_LEN)?;
    crate::platform::text::check_chars(field, src, true)?;
    if nesting(src) > limits::RULE_NESTING {
        return Err(too_deep(field));
    }
    on_cel_stack(|| {
        let parsed = catch_unwind(|| Program::compile(src))
            .map_err(|_| DomainError::invalid(field, "does not compile"))?;
        let program = parsed.map_err(|e| {
            let msg = e.to_string().replace("ERROR: <input>:", "at line:column ");
            DomainError::invalid(field, format!("does not compile: {msg}"))
        })?;
        // Catch misspelt variables now rather than at the first request.
        match run(&program, sample) {
            Err(RunError::Undeclared(name)) => Err(DomainError::invalid(
                field,
                format!(
                    "refers to '{name}', which does not exist (use {})",
                    RuleInput::names(sample.registration.is_some())
                ),
            )),
            Err(RunError::NotBool(t)) => Err(DomainError::invalid(
                field,
                format!("must be true or false, but gives a {t}"),
            )),
            _ => Ok(()),
        }
    })
    .unwrap_or_else(|| Err(DomainError::invalid(field, "does not compile")))
}

/// How many levels an open bracket counts for [`nesting`]: measured, a bracket
/// level costs CEL's parser about four times the stack of an operator.
pub const BRACKET_LEVELS: usize = 4;

/// A conservative estimate of how deeply CEL's parser and evaluator will recurse
/// on `src`, from its tokens alone: each open bracket counts [`BRACKET_LEVELS`],
/// and each operator one (a chain `a || b || c` is a tree as deep as it is long;
/// prefix `!` and `-` nest too), counted at the bracket level where it stands.
/// String literals are skipped. The result is the deepest sum of levels open at
/// once.
pub fn nesting(src: &str) -> usize {
    // Operators seen at each open bracket level (the outermost is the expression).
    let mut levels: Vec<usize> = vec![0];
    let mut deepest = 0;
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                // Skip the literal (escapes included); an unterminated one is the
                // parser's to report.
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
                continue;
            }
            '(' | '[' | '{' => levels.push(0),
            ')' | ']' | '}' if levels.len() > 1 => {
                levels.pop();
            }
            // A decimal point: member names never start with a digit.
            '.' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {}
            '!' | '-' | '+' | '*' | '/' | '%' | '<' | '>' | '=' | '&' | '|' | '?' | ':' | '.' => {
                // Two-character operators (&&, ||, ==, !=, <=, >=) count once.
                if matches!(
                    (c, chars.peek()),
                    ('&', Some('&')) | ('|', Some('|')) | ('=' | '!' | '<' | '>', Some('='))
                ) {
                    chars.next();
                }
                if let Some(n) = levels.last_mut() {
                    *n += 1;
                }
            }
            _ => {}
        }
        let depth: usize =
            levels.iter().map(|ops| ops + BRACKET_LEVELS).sum::<usize>() - (BRACKET_LEVELS - 1);
        deepest = deepest.max(depth);
    }
    deepest
}

#[derive(Debug)]
pub(crate) enum RunError {
    Undeclared(String),
    NotBool(String),
    Failed(String),
}

pub(crate) fn run(program: &Program, input: &RuleInput) -> Result<bool, RunError> {
    let mut ctx = Context::default();
    let vars = [
        ("request", Some(serde_json::to_value(&input.request))),
        ("client", Some(serde_json::to_value(&input.client))),
        (
            "developer",
            input.developer.as_ref().map(serde_json::to_value),
        ),
        (
            "registration",
            input.registration.as_ref().map(serde_json::to_value),
        ),
    ];
    for (name, value) in vars {
        let Some(value) = value else { continue };
        let value = value.map_err(|e| RunError::Failed(e.to_string()))?;
        ctx.add_variable(name, value)
            .map_err(|e| RunError::Failed(e.to_string()))?;
    }
    let out = catch_unwind(AssertUnwindSafe(|| program.execute(&ctx)))
        .map_err(|_| RunError::Failed("the rule crashed".into()))?;
    match out {
        Ok(Value::Bool(b)) => Ok(b),
        Ok(other) => Err(RunError::NotBool(format!("{:?}", other.type_of()))),
        Err(ExecutionError::UndeclaredReference(n)) => Err(RunError::Undeclared(n.to_string())),
        Err(e) => Err(RunError::Failed(e.to_string())),
    }
}

/// A rule's decision about one scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject {
        reason: String,
    },
    /// Left for a human, with why (no rule matched, or the rule failed).
    Human {
        why: String,
    },
}

/// Applies a rule. Never fails: a broken rule leaves the decision to a human.
pub fn evaluate(rule: &Rule, input: &RuleInput) -> Verdict {
    let eval = |src: &str| -> Result<bool, String> {
        // Rules saved before the bound existed are held to it too.
        if nesting(src) > limits::RULE_NESTING {
            return Err("the rule nests too deeply".to_owned());
        }
        on_cel_stack(|| {
            let program = catch_unwind(|| Program::compile(src))
                .map_err(|_| "the rule does not compile".to_owned())?
                .map_err(|e| format!("the rule does not compile: {e}"))?;
            run(&program, input).map_err(|e| match e {
                RunError::Undeclared(n) => format!("unknown name '{n}'"),
                RunError::NotBool(t) => format!("the rule gave a {t}, not true or false"),
                RunError::Failed(m) => m,
            })
        })
        .unwrap_or_else(|| Err("the rule crashed".to_owned()))
    };
    if let Some(src) = rule.reject_if.as_deref().filter(|s| !s.trim().is_empty()) {
        match eval(src) {
            Ok(true) => {
                return Verdict::Reject {
                    reason: rule
                        .reject_reason
                        .clone()
                        .filter(|r| !r.trim().is_empty())
                        .unwrap_or_else(|| {
                            format!("not allowed by the rule for {}", input.request.scope)
                        }),
                }
            }
            Ok(false) => {}
            Err(e) => {
                return Verdict::Human {
                    why: format!("reject rule failed: {e}"),
                }
            }
        }
    }
    if let Some(src) = rule.approve_if.as_deref().filter(|s| !s.trim().is_empty()) {
        match eval(src) {
            Ok(true) => return Verdict::Approve,
            Ok(false) => {}
            Err(e) => {
                return Verdict::Human {
                    why: format!("approve rule failed: {e}"),
                }
            }
        }
    }
    Verdict::Human {
        why: "no rule condition matched".into(),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn rule(approve: &str, reject: &str) -> Rule {
        Rule {
            scopes: vec!["api:read".into()],
            approve_if: Some(approve.into()).filter(|s: &String| !s.is_empty()),
            reject_if: Some(reject.into()).filter(|s: &String| !s.is_empty()),
            reject_reason: Some("no".into()),
            ..Default::default()
        }
    }

    #[test]
    fn approves_rejects_and_leaves_for_a_human() {
        let input = RuleInput::sample();
        assert_eq!(
            evaluate(
                &rule(r#"developer.email.endsWith("@example.org")"#, ""),
                &input
            ),
            Verdict::Approve
        );
        assert_eq!(
            evaluate(&rule("true", r#"client.application_type == "web""#), &input),
            Verdict::Reject {
                reason: "no".into()
            }
        );
        assert!(matches!(
            evaluate(
                &rule(r#"developer.email.endsWith("@other.org")"#, ""),
                &input
            ),
            Verdict::Human { .. }
        ));
        // A run-time error (no such key) leaves the request for a human.
        assert!(matches!(
            evaluate(&rule("client.nope == 1", ""), &input),
            Verdict::Human { why } if why.contains("failed")
        ));
    }

    /// L9: a 600-deep expression used to overflow the stack and abort the process.
    /// Every shape that recurses is refused before parsing; the deepest one allowed
    /// compiles and runs on a 2 MiB thread (a tokio worker's, and a test's).
    #[test]
    fn deep_expressions_are_refused_before_parsing() {
        let n = 600;
        for deep in [
            format!("{}true{}", "(".repeat(n), ")".repeat(n)),
            format!("{}true", "!".repeat(n)),
            format!("{}1 == 1", "-".repeat(n)),
            format!("{}1 == 1", "1 + ".repeat(n)),
            format!("{}true", "true || ".repeat(n / 3)),
            format!("{}[]{}.size() == 0", "[".repeat(n), "]".repeat(n)),
            format!("developer{} == 1", ".x".repeat(n)),
            format!("{}false", "true ? true : ".repeat(n / 2)),
        ] {
            let e = compile("approve_if", &deep).unwrap_err();
            assert!(
                e.to_string().contains("nests too deeply")
                    || e.to_string().contains("at most 2000"),
                "{}: {e}",
                &deep[..40]
            );
            assert!(nesting(&deep) > limits::RULE_NESTING || deep.chars().count() > 2000);
        }
        let at_bound = |f: &dyn Fn(usize) -> String| {
            let mut k = 0;
            while nesting(&f(k + 1)) <= limits::RULE_NESTING {
                k += 1;
            }
            f(k)
        };
        for src in [
            at_bound(&|k| format!("{}true{}", "(".repeat(k), ")".repeat(k))),
            at_bound(&|k| format!("{}true", "!".repeat(2 * k))),
            at_bound(&|k| format!("{}1 == {}", "1 + ".repeat(k), k + 1)),
            at_bound(&|k| format!("{}[]{}.size() == 0", "[".repeat(k), "]".repeat(k))),
            at_bound(&|k| format!("developer{}.size() > 0", ".email".repeat(k))),
            at_bound(&|k| format!("{}(true || false){}", "(".repeat(k), ")".repeat(k))),
        ] {
            assert!(
                compile("approve_if", &src).is_ok() || src.contains(".email.email"),
                "the deepest allowed: {src}"
            );
            // The bound alone keeps a 2 MiB thread (a tokio worker's) safe, even
            // in a debug build; the dedicated CEL thread is a margin on top.
            let probe = src.clone();
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    if let Ok(p) = Program::compile(&probe) {
                        let _ = run(&p, &RuleInput::sample());
                    }
                })
                .unwrap()
                .join()
                .unwrap();
            // It runs (whatever it decides): no crash, no failure.
            assert!(
                !matches!(
                    evaluate(&rule(&src, ""), &RuleInput::sample()),
                    Verdict::Human { why } if why.contains("crash") || why.contains("deep")
                ),
                "{src}"
            );
        }
        // What real rules look like stays well inside the bound.
        let realistic = r#"developer.email.endsWith("@example.edu") && client.application_type == "web" && request.justification.size() > 20 && !client.scopes.exists(s, s == "admin")"#;
        assert!(compile("approve_if", realistic).is_ok());
        let domains = (0..50)
            .map(|i| format!("\"d{i}.example.edu\""))
            .collect::<Vec<_>>()
            .join(", ");
        let many = format!(r#"developer.email.split("@")[1] in [{domains}]"#);
        assert!(nesting(&many) < 10, "a list is wide, not deep");
    }

    #[test]
    fn compile_refuses_bad_rules() {
        assert!(compile("approve_if", "developer.email.endsWith(").is_err());
        assert!(compile("approve_if", "dev.email == 'x'").is_err());
        assert!(compile("approve_if", "1 + 2").is_err());
        assert!(compile("approve_if", "").is_err());
        assert!(compile("approve_if", r#"client.scopes.exists(s, s == "openid")"#).is_ok());
    }
}
