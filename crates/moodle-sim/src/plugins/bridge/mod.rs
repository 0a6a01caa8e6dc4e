//! `local_bridge`: the content functions (`local_bridge_create_page`, `…_create_resource`,
//! `…_create_url`, `…_create_forum`, `…_update_module`, `…_find_modules_by_idnumber`), the
//! quiz functions (`…_create_quiz`, `…_update_quiz`), the batch `…_create_modules`, the file
//! listing `local_bridge_list_user_files` and `download.php`, and the event outbox with
//! `local_bridge_get_events` (`events/`), as `moodle-plugin/local_bridge/` implements them.

mod batch;
mod download;
pub(crate) mod events;
mod files;
mod functions;
mod questions;
mod quiz;
mod writer;

pub(super) use download::handle as handle_download;

use crate::ws::FunctionDef;

/// The functions of `db/services.php`.
pub(super) fn functions() -> Vec<FunctionDef> {
    let mut list = functions::functions();
    list.extend(quiz::functions());
    list.extend(batch::functions());
    list.extend(events::read::functions());
    list
}

use super::PluginData;
use crate::external::desc::*;

/// The download script.
pub(super) const DOWNLOAD_PATH: &str = "/local/bridge/download.php";
/// The plugin's component name (its settings' plugin name).
const PLUGIN: &str = "local_bridge";

/// The settings' defaults (`settings.php`).
pub(super) fn default_settings(data: &mut PluginData) {
    data.set_config(PLUGIN, "listprivatefiles", "1");
    data.set_config(PLUGIN, "enabledownload", "1");
    data.set_config(PLUGIN, "recordevents", "1");
    data.set_config(PLUGIN, "eventretention", "604800");
}

/// `structures::placement_parameters()`: the first parameters of every create function.
fn placement_parameters() -> Vec<(&'static str, Desc)> {
    vec![
        ("courseid", int()),
        ("section", int().default(0)),
        ("name", text()),
    ]
}

/// `structures::common_parameters()`: the last parameters of every create function.
fn common_parameters() -> Vec<(&'static str, Desc)> {
    vec![
        ("intro", raw().default("")),
        ("introformat", int().default(1)),
        ("idnumber", raw().default("")),
        ("visible", boolean().default(true)),
    ]
}

/// A create function's parameters: placement, its own, then the common ones.
fn create_parameters(own: Vec<(&'static str, Desc)>) -> Desc {
    let mut keys = placement_parameters();
    keys.extend(own);
    keys.extend(common_parameters());
    single(keys)
}

/// `structures::module_fields()`.
fn module_fields() -> Vec<(&'static str, Desc)> {
    vec![
        ("cmid", int()),
        ("instanceid", int()),
        ("courseid", int()),
        ("section", int()),
        ("modname", plugin()),
        ("name", text()),
        ("idnumber", raw()),
        ("visible", boolean()),
        ("url", url()),
    ]
}

/// `structures::module_result()`.
fn module_result() -> Desc {
    let mut keys = module_fields();
    keys.push(("warnings", warnings()));
    single(keys)
}
