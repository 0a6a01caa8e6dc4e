//! Reading settings from the environment: a lookup over variables (the process
//! environment with a `.env` file under it, or a map in tests) that collects every problem,
//! each naming its variable, instead of stopping at the first.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// Where settings come from: variable name to value.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    /// Every name asked for, set or not (shared by clones): the list of settings the code
    /// reads, which `.env.example` must match (`tests/api/env_example.rs`).
    asked: Arc<Mutex<BTreeSet<String>>>,
}

impl Env {
    /// The process environment, over the variables of `env_file` (a `.env` file; missing is
    /// fine). Variables already set win over the file, as `dotenvy` does.
    ///
    /// # Errors
    /// A problem naming the file when it exists but cannot be read or parsed.
    pub fn from_process(env_file: Option<&std::path::Path>) -> Result<Env, Problems> {
        let mut vars: HashMap<String, String> = HashMap::new();
        let path = env_file.unwrap_or(std::path::Path::new(".env"));
        match dotenvy::from_path_iter(path) {
            Ok(iter) => {
                for item in iter {
                    match item {
                        Ok((k, v)) => {
                            vars.insert(k, v);
                        }
                        Err(e) => {
                            let mut p = Problems::default();
                            p.push(path.display().to_string(), format!("cannot be read: {e}"));
                            return Err(p);
                        }
                    }
                }
            }
            Err(e) if e.not_found() && env_file.is_none() => {}
            Err(e) => {
                let mut p = Problems::default();
                p.push(path.display().to_string(), format!("cannot be read: {e}"));
                return Err(p);
            }
        }
        vars.extend(std::env::vars());
        Ok(Env {
            vars,
            asked: Arc::default(),
        })
    }

    /// Settings from pairs (tests, the demo).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            asked: Arc::default(),
        }
    }

    /// Sets a variable (command-line flags override the environment this way).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.vars.insert(name.to_owned(), value.into());
    }

    /// The value of the first of `names` that is set and not blank, with the name it had.
    pub fn first<'n>(&self, names: &[&'n str]) -> Option<(&'n str, &str)> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.extend(names.iter().map(|n| (*n).to_owned()));
        }
        names.iter().find_map(|n| {
            self.vars
                .get(*n)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| (*n, v))
        })
    }

    /// The value of `name`, when set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.first(&[name]).map(|(_, v)| v)
    }

    /// Every variable name looked up so far through this `Env` or its clones, set or not
    /// (aliases included), sorted.
    pub fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .map(|asked| asked.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Every configuration problem found, each naming its variable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(Vec<(String, String)>);

impl Problems {
    /// Adds a problem with `name`.
    pub fn push(&mut self, name: impl Into<String>, problem: impl Into<String>) {
        self.0.push((name.into(), problem.into()));
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The variables with problems, in the order found.
    pub fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// `Ok(value)` when no problem was found.
    ///
    /// # Errors
    /// Itself, when not empty.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Problems> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }

    /// Reads `name` with `parse`, or `default` when unset; a bad value is recorded.
    pub fn parse<T>(
        &mut self,
        env: &Env,
        name: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T
    where
        T: Clone,
    {
        match env.get(name) {
            None => default,
            Some(raw) => parse(raw).unwrap_or_else(|why| {
                self.push(name, format!("{why} (got {})", quoted(raw)));
                default
            }),
        }
    }

    /// Reads a number in `range`, or `default` when unset.
    pub fn number<T>(
        &mut self,
        env: &Env,
        name: &str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> T
    where
        T: FromStr + PartialOrd + Copy + fmt::Display,
    {
        self.parse(env, name, default, |raw| match raw.parse::<T>() {
            Ok(v) if range.contains(&v) => Ok(v),
            _ => Err(format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            )),
        })
    }

    /// Reads a boolean (`true/false`, `1/0`, `yes/no`, `on/off`), or `default` when unset.
    pub fn flag(&mut self, env: &Env, name: &str, default: bool) -> bool {
        self.parse(env, name, default, |raw| {
            match raw.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err("must be true or false".to_owned()),
            }
        })
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "moodle-bridge cannot start: {n} configuration problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for (name, problem) in &self.0 {
            writeln!(f, "  {name}: {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// A value for an error message: quoted, and cut when long.
fn quoted(raw: &str) -> String {
    let cut: String = raw.chars().take(60).collect();
    if cut.len() < raw.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_set_alias_wins_and_blank_counts_as_unset() {
        let env = Env::from_pairs([("MOODLE_URL", "  "), ("LMS_BASE_URL", "http://b")]);
        assert_eq!(
            env.first(&["MOODLE_BASE_URL", "MOODLE_URL", "LMS_BASE_URL"]),
            Some(("LMS_BASE_URL", "http://b"))
        );
    }

    #[test]
    fn bad_values_are_collected_with_their_names() {
        let env = Env::from_pairs([("A", "x"), ("B", "maybe"), ("C", "99")]);
        let mut p = Problems::default();
        assert_eq!(p.number(&env, "A", 5u32, 1..=10), 5);
        assert!(!p.flag(&env, "B", false));
        assert_eq!(p.number(&env, "C", 5u32, 1..=10), 5);
        assert_eq!(p.names(), ["A", "B", "C"]);
        let text = p.to_string();
        assert!(text.contains("3 configuration problems"), "{text}");
        assert!(
            text.contains("B: must be true or false (got \"maybe\")"),
            "{text}"
        );
    }
}
