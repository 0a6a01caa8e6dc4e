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

namespace local_logintoken\event;

/**
 * A token login, token validation or login key redemption was refused.
 *
 * The token itself is never part of the event: it is a credential.
 *
 * @property-read array $other {
 *      - string reason: the refusal's reason code (`invalidtoken`, `tokenexpired`, `usersuspended`, …)
 *      - string method: what was attempted (`token`, `validate`, `key`)
 * }
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class login_failed extends \core\event\base {
    /**
     * Init method.
     */
    protected function init() {
        $this->data['crud'] = 'r';
        $this->data['edulevel'] = self::LEVEL_OTHER;
        $this->context = \context_system::instance();
    }

    /**
     * Localised event name.
     *
     * @return string
     */
    public static function get_name() {
        return get_string('eventloginfailed', 'local_logintoken');
    }

    /**
     * Non-localised description for the logs.
     *
     * @return string
     */
    public function get_description() {
        $who = $this->relateduserid ? " for the user with id '{$this->relateduserid}'" : '';
        return "Token login ({$this->other['method']}) refused{$who}: \"{$this->other['reason']}\".";
    }

    /**
     * Checks the event's data.
     *
     * @throws \coding_exception
     */
    protected function validate_data() {
        parent::validate_data();
        if (!isset($this->other['reason'])) {
            throw new \coding_exception('The \'reason\' value must be set in other.');
        }
        if (!isset($this->other['method'])) {
            throw new \coding_exception('The \'method\' value must be set in other.');
        }
        if (isset($this->other['token'])) {
            throw new \coding_exception('The \'token\' value must not be set in other.');
        }
    }

    /**
     * No mapping needed for backup and restore: nothing in `other` refers to database rows.
     *
     * @return bool
     */
    public static function get_other_mapping() {
        return false;
    }
}
