//! Moodle's `external_functions` table: which web-service functions exist on a Moodle 4.5.6
//! or 5.0 site, the component each belongs to and that component's version, and which are in
//! the official mobile service.
//!
//! The lists are data exported from real, fresh Moodle 4.5.6 and 5.0.6+ installs
//! (`tools/export-external-functions.sh`), so "exists but not in your service"
//! (`accessexception`) and "does not exist" (`invalidrecord`) come out as on a real site of
//! each version (5.0 removed `mod_chat_*` and `mod_survey_*`, and added others).

use std::collections::HashMap;

use crate::version::MoodleVersion;

const EXPORTED_4_5: &str = include_str!("../data/external_functions.tsv");
const EXPORTED_5_0: &str = include_str!("../data/external_functions-5.0.tsv");

/// One row of the catalogue.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    /// Function name.
    pub name: String,
    /// Component (`moodle` for core).
    pub component: String,
    /// Component version, as `core_webservice_get_site_info` reports it.
    pub version: String,
    /// Position in the mobile service, if it is in it.
    pub mobile_rank: Option<u32>,
}

/// All functions a site has.
#[derive(Debug, Clone)]
pub struct FunctionCatalog {
    rows: Vec<FunctionInfo>,
    by_name: HashMap<String, usize>,
}

impl FunctionCatalog {
    /// The functions of a stock Moodle of a version.
    pub fn of(version: MoodleVersion) -> Self {
        let exported = match version {
            MoodleVersion::V4_5 => EXPORTED_4_5,
            MoodleVersion::V5_0 => EXPORTED_5_0,
        };
        let rows = exported
            .lines()
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let name = cols.next()?.to_owned();
                let component = cols.next()?.to_owned();
                let version = cols.next()?.to_owned();
                let mobile_rank = cols.next().and_then(|r| r.parse().ok());
                Some(FunctionInfo {
                    name,
                    component,
                    version,
                    mobile_rank,
                })
            })
            .collect();
        Self::from_rows(rows)
    }

    fn from_rows(rows: Vec<FunctionInfo>) -> Self {
        let by_name = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        FunctionCatalog { rows, by_name }
    }

    /// Registers a plugin's function (as installing the plugin does).
    pub fn add(&mut self, name: &str, component: &str, version: &str) {
        if self.by_name.contains_key(name) {
            return;
        }
        self.by_name.insert(name.to_owned(), self.rows.len());
        self.rows.push(FunctionInfo {
            name: name.to_owned(),
            component: component.to_owned(),
            version: version.to_owned(),
            mobile_rank: None,
        });
    }

    /// A function by name.
    pub fn get(&self, name: &str) -> Option<&FunctionInfo> {
        self.by_name.get(name).map(|&i| &self.rows[i])
    }

    /// The official mobile service's functions in the order Moodle added them.
    pub fn mobile_service_functions(&self) -> Vec<String> {
        let mut list: Vec<&FunctionInfo> = self
            .rows
            .iter()
            .filter(|r| r.mobile_rank.is_some())
            .collect();
        list.sort_by_key(|r| r.mobile_rank);
        list.into_iter().map(|r| r.name.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_knows_core_and_plugin_functions_with_versions() {
        let c = FunctionCatalog::of(MoodleVersion::V4_5);
        let site_info = c.get("core_webservice_get_site_info").unwrap();
        assert_eq!(site_info.component, "moodle");
        assert_eq!(site_info.version, "2024100706");
        assert_eq!(
            c.get("enrol_manual_enrol_users").unwrap().version,
            "2024100700"
        );
        assert!(c.get("core_user_delete_users").is_some());
        assert!(
            c.get("core_message_get_unread_popup_notifications_count")
                .is_none()
        );
        assert_eq!(c.mobile_service_functions().len(), 437);
        assert!(c.get("mod_chat_get_chats_by_courses").is_some());
    }

    #[test]
    fn moodle_5_0_has_no_chat_or_survey_functions_and_reports_its_weekly_version() {
        let c = FunctionCatalog::of(MoodleVersion::V5_0);
        let site_info = c.get("core_webservice_get_site_info").unwrap();
        assert_eq!(site_info.version, "2025041406.11");
        assert!(c.get("mod_chat_get_chats_by_courses").is_none());
        assert!(c.get("mod_survey_get_surveys_by_courses").is_none());
        assert!(c.get("core_question_search_shared_banks").is_some());
    }
}
