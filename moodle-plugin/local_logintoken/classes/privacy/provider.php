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

namespace local_logintoken\privacy;

use core_privacy\local\metadata\collection;
use core_privacy\local\request\approved_contextlist;
use core_privacy\local\request\approved_userlist;
use core_privacy\local\request\contextlist;
use core_privacy\local\request\userlist;

/**
 * Privacy provider: the plugin stores only the one-time login keys of
 * `local_logintoken_login_with_token`, as user keys (`core_userkey`).
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class provider implements
    \core_privacy\local\metadata\provider,
    \core_privacy\local\request\core_userlist_provider,
    \core_privacy\local\request\plugin\provider {

    /** @var string The user key script of login keys. */
    const SCRIPT = 'local_logintoken';

    /**
     * Describes the stored data.
     *
     * @param collection $collection the collection to add to
     * @return collection
     */
    public static function get_metadata(collection $collection): collection {
        $collection->add_subsystem_link('core_userkey', [], 'privacy:metadata:core_userkey');
        return $collection;
    }

    /**
     * The contexts holding a user's data: their user context when they have a login key.
     *
     * @param int $userid the user
     * @return contextlist
     */
    public static function get_contexts_for_userid(int $userid): contextlist {
        $sql = "SELECT ctx.id
                  FROM {user_private_key} k
                  JOIN {context} ctx ON ctx.instanceid = k.userid AND ctx.contextlevel = :contextlevel
                 WHERE k.userid = :userid AND k.script = :script";
        $contextlist = new contextlist();
        $contextlist->add_from_sql($sql, ['userid' => $userid, 'contextlevel' => CONTEXT_USER, 'script' => self::SCRIPT]);
        return $contextlist;
    }

    /**
     * The users with data in a context.
     *
     * @param userlist $userlist the list to fill
     */
    public static function get_users_in_context(userlist $userlist) {
        $context = $userlist->get_context();
        if ($context instanceof \context_user) {
            \core_userkey\privacy\provider::get_user_contexts_with_script($userlist, $context, self::SCRIPT);
        }
    }

    /**
     * Exports a user's login keys.
     *
     * @param approved_contextlist $contextlist the approved contexts
     */
    public static function export_user_data(approved_contextlist $contextlist) {
        foreach ($contextlist->get_contexts() as $context) {
            if ($context->contextlevel == CONTEXT_USER) {
                \core_userkey\privacy\provider::export_userkeys($context, [], self::SCRIPT);
            }
        }
    }

    /**
     * Deletes the login keys of the user of a user context.
     *
     * @param \context $context the context
     */
    public static function delete_data_for_all_users_in_context(\context $context) {
        if ($context->contextlevel == CONTEXT_USER) {
            \core_userkey\privacy\provider::delete_userkeys(self::SCRIPT, $context->instanceid);
        }
    }

    /**
     * Deletes a user's login keys.
     *
     * @param approved_contextlist $contextlist the approved contexts
     */
    public static function delete_data_for_user(approved_contextlist $contextlist) {
        foreach ($contextlist->get_contexts() as $context) {
            if ($context->contextlevel == CONTEXT_USER && $context->instanceid == $contextlist->get_user()->id) {
                \core_userkey\privacy\provider::delete_userkeys(self::SCRIPT, $context->instanceid);
            }
        }
    }

    /**
     * Deletes the login keys of users in a context.
     *
     * @param approved_userlist $userlist the approved users
     */
    public static function delete_data_for_users(approved_userlist $userlist) {
        $context = $userlist->get_context();
        if ($context->contextlevel != CONTEXT_USER) {
            return;
        }
        if (in_array($context->instanceid, $userlist->get_userids())) {
            \core_userkey\privacy\provider::delete_userkeys(self::SCRIPT, $context->instanceid);
        }
    }
}
