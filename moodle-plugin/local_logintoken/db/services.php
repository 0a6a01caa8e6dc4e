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
 * Web service functions and the "Login Token" service of the Login Token plugin.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'local_logintoken_login_with_token' => [
        'classname' => 'local_logintoken\external\login_with_token',
        'methodname' => 'execute',
        'description' => 'Returns a one-time, short-lived login key and the URL that turns it into a browser session '
            . 'for the token\'s user.',
        'type' => 'write',
        'capabilities' => 'local/logintoken:usetoken',
    ],
    'local_logintoken_validate_token' => [
        'classname' => 'local_logintoken\external\validate_token',
        'methodname' => 'execute',
        'description' => 'Describes the calling token and its user, without logging anybody in.',
        'type' => 'read',
        'capabilities' => 'local/logintoken:usetoken',
    ],
];

$services = [
    'Login Token' => [
        'functions' => [
            'local_logintoken_login_with_token',
            'local_logintoken_validate_token',
        ],
        'shortname' => 'local_logintoken',
        'enabled' => 1,
        'restrictedusers' => 0,
        'downloadfiles' => 0,
        'uploadfiles' => 0,
    ],
];
