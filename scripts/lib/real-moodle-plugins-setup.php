<?php
// Test fixtures for scripts/real-moodle-plugins on a real Moodle with local_logintoken and
// local_bridge installed. Run with Moodle's CLI as the web server user:
//   sudo -u www-data php real-moodle-plugins-setup.php --moodle=/path/to/www COMMAND [ARGS]
// Commands (each prints one JSON object):
//   setup                 add both plugins' functions to the `bridge` service; make the user
//                         `ltsuspended` (suspended) and the checks' tokens; reset the plugin
//                         settings and the failed-attempt counters. Idempotent.
//   config NAME VALUE     set a local_logintoken (or local_bridge/NAME) setting
//   reset-attempts        forget every address's failed token logins
//   events                count local_logintoken login_failed events in the standard log
// The stand-in (moodle-sim) answers the same commands at /__sim/plugins/*.

define('CLI_SCRIPT', true);

$opts = getopt('', ['moodle:'], $rest);
$args = array_slice($argv, $rest);
require(($opts['moodle'] ?? getenv('MOODLE_REAL_ROOT') . '/www') . '/config.php');
require_once($CFG->dirroot . '/webservice/lib.php');
require_once($CFG->dirroot . '/user/lib.php');

\core\session\manager::set_user(get_admin());
$command = $args[0] ?? '';

/**
 * Prints the answer.
 *
 * @param array $answer
 */
function answer(array $answer): void {
    echo json_encode($answer, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
}

/**
 * A permanent token named for a check, made once and then kept with the given restrictions.
 *
 * @param string $role name in the answer
 * @param int $userid owner
 * @param string $service service short name
 * @param int $validuntil expiry, 0 for none
 * @param string $iprestriction allowed addresses, '' for any
 * @return string the token
 */
function check_token(string $role, int $userid, string $service, int $validuntil = 0, string $iprestriction = ''): string {
    global $DB;
    $serviceobj = $DB->get_record('external_services', ['shortname' => $service], '*', MUST_EXIST);
    $name = "moodle-bridge-check {$role}";
    $existing = $DB->get_record('external_tokens', ['name' => $name, 'userid' => $userid]);
    if ($existing) {
        $DB->update_record('external_tokens', (object) [
            'id' => $existing->id, 'validuntil' => $validuntil, 'iprestriction' => $iprestriction ?: null,
            'externalserviceid' => $serviceobj->id,
        ]);
        return $existing->token;
    }
    return \core_external\util::generate_token(EXTERNAL_TOKEN_PERMANENT, $serviceobj, $userid, context_system::instance(),
        $validuntil, $iprestriction, $name);
}

switch ($command) {
    case 'setup':
        $webservice = new webservice();
        $bridge = $webservice->get_external_service_by_shortname('bridge', MUST_EXIST);
        $added = [];
        foreach (['local_logintoken', 'local_bridge'] as $component) {
            foreach ($DB->get_records('external_functions', ['component' => $component], 'id') as $function) {
                if (!$webservice->service_function_exists($function->name, $bridge->id)) {
                    $webservice->add_external_function_to_service($function->name, $bridge->id);
                }
                $added[] = $function->name;
            }
        }
        $suspended = $DB->get_record('user', ['username' => 'ltsuspended', 'deleted' => 0]);
        if (!$suspended) {
            $id = user_create_user((object) [
                'username' => 'ltsuspended', 'password' => 'Suspended123!x', 'firstname' => 'Sam',
                'lastname' => 'Suspended', 'email' => 'ltsuspended@example.com', 'auth' => 'manual',
                'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id,
            ]);
            $suspended = $DB->get_record('user', ['id' => $id], '*', MUST_EXIST);
        }
        $DB->set_field('user', 'suspended', 1, ['id' => $suspended->id]);
        \core\session\manager::destroy_user_sessions($suspended->id);

        foreach (['enabled' => 1, 'requirehttps' => 0, 'allowedservices' => 'local_logintoken,moodle_mobile_app',
                'redirecturl' => '', 'maxfailedattempts' => 1000, 'lockoutwindow' => 900] as $name => $value) {
            set_config($name, $value, 'local_logintoken');
        }
        set_config('listprivatefiles', 1, 'local_bridge');
        set_config('enabledownload', 1, 'local_bridge');
        cache::make('local_logintoken', 'failedattempts')->purge();

        $ids = $DB->get_records_menu('user', null, '', 'username, id');
        $tokens = [];
        foreach ($DB->get_records_select('external_tokens', $DB->sql_like('name', ':name'), ['name' => 'moodle-real %'])
                as $token) {
            $tokens[substr($token->name, strlen('moodle-real '))] = $token->token;
        }
        $tokens += [
            'admin_logintoken' => check_token('admin_logintoken', $ids['admin'], 'local_logintoken'),
            'teacher1_logintoken' => check_token('teacher1_logintoken', $ids['teacher1'], 'local_logintoken'),
            'student1_logintoken' => check_token('student1_logintoken', $ids['student1'], 'local_logintoken'),
            'student2_expired' => check_token('student2_expired', $ids['student2'], 'local_logintoken', time() - 3600),
            'student3_iprestricted' => check_token('student3_iprestricted', $ids['student3'], 'local_logintoken', 0,
                '10.0.0.0/8'),
            'suspended_logintoken' => check_token('suspended_logintoken', $suspended->id, 'local_logintoken'),
        ];
        ksort($tokens);
        answer(['tokens' => $tokens, 'suspended_userid' => (int) $suspended->id, 'bridge_functions' => $added]);
        break;
    case 'config':
        [, $name, $value] = $args + [null, null, null];
        if ($name === null || $value === null) {
            fwrite(STDERR, "usage: config NAME VALUE\n");
            exit(2);
        }
        [$plugin, $name] = strpos($name, '/') !== false ? explode('/', $name, 2) : ['local_logintoken', $name];
        set_config($name, $value, $plugin);
        answer(['plugin' => $plugin, 'name' => $name, 'value' => $value]);
        break;
    case 'reset-attempts':
        cache::make('local_logintoken', 'failedattempts')->purge();
        answer(['reset' => true]);
        break;
    case 'events':
        $count = $DB->count_records('logstore_standard_log', ['eventname' => '\\local_logintoken\\event\\login_failed']);
        answer(['login_failed' => $count]);
        break;
    default:
        fwrite(STDERR, "usage: real-moodle-plugins-setup.php --moodle=DIR setup|config NAME VALUE|reset-attempts|events\n");
        exit(2);
}
