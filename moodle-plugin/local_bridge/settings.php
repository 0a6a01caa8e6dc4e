<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * Admin settings of the Moodle Bridge companion plugin.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

if ($hassiteconfig) {
    $settings = new admin_settingpage('local_bridge', new lang_string('pluginname', 'local_bridge'));

    $settings->add(new admin_setting_configcheckbox(
        'local_bridge/listprivatefiles',
        new lang_string('listprivatefiles', 'local_bridge'),
        new lang_string('listprivatefiles_desc', 'local_bridge'),
        1
    ));
    $settings->add(new admin_setting_configcheckbox(
        'local_bridge/enabledownload',
        new lang_string('enabledownload', 'local_bridge'),
        new lang_string('enabledownload_desc', 'local_bridge'),
        1
    ));

    $settings->add(new admin_setting_heading(
        'local_bridge/eventsheading',
        new lang_string('eventsheading', 'local_bridge'),
        new lang_string('eventsheading_desc', 'local_bridge')
    ));
    $settings->add(new admin_setting_configcheckbox(
        'local_bridge/recordevents',
        new lang_string('recordevents', 'local_bridge'),
        new lang_string('recordevents_desc', 'local_bridge'),
        1
    ));
    $retention = new admin_setting_configduration(
        'local_bridge/eventretention',
        new lang_string('eventretention', 'local_bridge'),
        new lang_string('eventretention_desc', 'local_bridge'),
        7 * DAYSECS,
        DAYSECS
    );
    $retention->set_min_duration(DAYSECS); // The purge task also keeps at least a day.
    $settings->add($retention);

    $ADMIN->add('localplugins', $settings);
}
