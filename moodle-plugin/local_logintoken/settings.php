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
 * Admin settings of the Login Token plugin.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

if ($hassiteconfig) {
    $settings = new admin_settingpage('local_logintoken', new lang_string('pluginname', 'local_logintoken'));

    $settings->add(new admin_setting_configcheckbox(
        'local_logintoken/enabled',
        new lang_string('enabled', 'local_logintoken'),
        new lang_string('enabled_desc', 'local_logintoken'),
        1
    ));
    $settings->add(new admin_setting_configcheckbox(
        'local_logintoken/requirehttps',
        new lang_string('requirehttps', 'local_logintoken'),
        new lang_string('requirehttps_desc', 'local_logintoken'),
        0
    ));
    $settings->add(new admin_setting_configtext(
        'local_logintoken/allowedservices',
        new lang_string('allowedservices', 'local_logintoken'),
        new lang_string('allowedservices_desc', 'local_logintoken'),
        'local_logintoken,' . MOODLE_OFFICIAL_MOBILE_SERVICE,
        PARAM_RAW_TRIMMED
    ));
    $settings->add(new admin_setting_configcheckbox(
        'local_logintoken/refuseadmins',
        new lang_string('refuseadmins', 'local_logintoken'),
        new lang_string('refuseadmins_desc', 'local_logintoken'),
        1
    ));
    $settings->add(new admin_setting_configcheckbox(
        'local_logintoken/allowget',
        new lang_string('allowget', 'local_logintoken'),
        new lang_string('allowget_desc', 'local_logintoken'),
        0
    ));
    $settings->add(new admin_setting_configtext(
        'local_logintoken/redirecturl',
        new lang_string('redirecturl', 'local_logintoken'),
        new lang_string('redirecturl_desc', 'local_logintoken'),
        '',
        PARAM_URL
    ));
    $settings->add(new admin_setting_configtext(
        'local_logintoken/maxfailedattempts',
        new lang_string('maxfailedattempts', 'local_logintoken'),
        new lang_string('maxfailedattempts_desc', 'local_logintoken'),
        20,
        PARAM_INT
    ));
    $settings->add(new admin_setting_configduration(
        'local_logintoken/lockoutwindow',
        new lang_string('lockoutwindow', 'local_logintoken'),
        new lang_string('lockoutwindow_desc', 'local_logintoken'),
        15 * MINSECS
    ));

    $ADMIN->add('localplugins', $settings);
}
