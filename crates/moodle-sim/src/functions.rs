//! Moodle's `external_functions` table: which web-service functions exist on a Moodle 4.5.6
//! site, the component each belongs to and that component's version, and which are in
//! the official mobile service.
//!
//! The list is data exported from a real Moodle 4.5.6 install
//! (`tools/export-external-functions.sh`), so "exists but not in your service"
//! (`accessexception`) and "does not exist" (`invalidrecord`) come out as on a real site.

use std::collections::HashMap;

const EXPORTED: &str = include_str!("../data/external_functions.tsv");

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
    /// The functions of a stock Moodle 4.5.6.
    pub fn moodle_4_5() -> Self {
        let rows = EXPORTED
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
        let c = FunctionCatalog::moodle_4_5();
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
    }
}
