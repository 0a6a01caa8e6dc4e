<?php
// Test fixtures for scripts/real-moodle-plugins on a real Moodle with local_logintoken and
// local_bridge installed. Run with Moodle's CLI as the web server user:
//   sudo -u www-data php real-moodle-plugins-setup.php --moodle=/path/to/www COMMAND [ARGS]
// Commands (each prints one JSON object):
//   setup                 add both plugins' functions to the `bridge` service; make the users
//                         `ltsuspended` (suspended) and `ltteacher` (editing teacher of PHYS101
//                         whose enrolment is suspended), a private file of teacher1, and the
//                         checks' tokens; reset the plugin settings and the failed-attempt
//                         counters; say what this Moodle calls a missing record. Idempotent.
//   config NAME VALUE     set a local_logintoken (or local_bridge/NAME) setting
//   reset-attempts        forget every address's failed token logins
//   events                count local_logintoken login_failed events in the standard log
//   cli-changes COURSE USER FULLNAME  as the admin, from the command line (event origin cli):
//                         rename the course and unenrol the user from its manual enrolment
// The stand-in (moodle-sim) answers the same commands at /__sim/plugins/*.

define('CLI_SCRIPT', true);

$opts = getopt('', ['moodle:'], $rest);
$args = array_slice($argv, $rest);
// --moodle is the web code's folder: www/ of MOODLE_REAL_ROOT, or www/public/ on Moodle 5.1+
// (its config.php loads the one above it).
$docroot = $opts['moodle'] ?? getenv('MOODLE_REAL_ROOT') . '/www';
if (!isset($opts['moodle']) && is_file($docroot . '/public/version.php')) {
    $docroot .= '/public';
}
require($docroot . '/config.php');
require_once($CFG->dirroot . '/webservice/lib.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->libdir . '/enrollib.php');

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

/**
 * A manual-auth user made once by username.
 *
 * @param string $username the username
 * @param string $firstname first name
 * @param string $lastname last name
 * @return stdClass the user record
 */
function check_user(string $username, string $firstname, string $lastname): stdClass {
    global $CFG, $DB;
    $user = $DB->get_record('user', ['username' => $username, 'deleted' => 0]);
    if (!$user) {
        $id = user_create_user((object) [
            'username' => $username, 'password' => 'Checks123!x', 'firstname' => $firstname, 'lastname' => $lastname,
            'email' => "{$username}@example.com", 'auth' => 'manual', 'confirmed' => 1,
            'mnethostid' => $CFG->mnet_localhost_id,
        ]);
        $user = $DB->get_record('user', ['id' => $id], '*', MUST_EXIST);
    }
    return $user;
}

/**
 * A subsection in section 1 of a course, made once by name; the number of the section it
 * delegates (where its activities go).
 *
 * @param string $shortname the course's short name
 * @param string $name the subsection's name
 * @return int the delegated section's number
 */
function check_subsection(string $shortname, string $name): int {
    global $CFG, $DB;
    require_once($CFG->dirroot . '/course/modlib.php');
    $course = $DB->get_record('course', ['shortname' => $shortname], '*', MUST_EXIST);
    $instance = $DB->get_field('subsection', 'id', ['course' => $course->id, 'name' => $name], IGNORE_MULTIPLE);
    if (!$instance) {
        [, , , , $data] = prepare_new_moduleinfo_data($course, 'subsection', 1);
        $data->name = $name;
        $data->visible = 1;
        $instance = (int) create_module($data)->instance;
    }
    return (int) $DB->get_field('course_sections', 'section',
        ['course' => $course->id, 'component' => 'mod_subsection', 'itemid' => $instance], MUST_EXIST);
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
        $suspended = check_user('ltsuspended', 'Sam', 'Suspended');
        $DB->set_field('user', 'suspended', 1, ['id' => $suspended->id]);
        \core\session\manager::destroy_user_sessions($suspended->id);

        // An editing teacher of PHYS101 whose enrolment is suspended: the role assignment stays.
        $physics = $DB->get_record('course', ['shortname' => 'PHYS101'], '*', MUST_EXIST);
        $ltteacher = check_user('ltteacher', 'Lee', 'Lapsed');
        $manual = $DB->get_record('enrol', ['courseid' => $physics->id, 'enrol' => 'manual'], '*', MUST_EXIST);
        $editingteacher = $DB->get_field('role', 'id', ['shortname' => 'editingteacher'], MUST_EXIST);
        enrol_get_plugin('manual')->enrol_user($manual, $ltteacher->id, $editingteacher, 0, 0, ENROL_USER_SUSPENDED);

        // Moodle 4.5+ has subsections (mod_subsection, on by default from 5.0): one in HIST110,
        // so the checks can place activities in a delegated section.
        $subsectionsection = null;
        if ($DB->get_field('modules', 'visible', ['name' => 'subsection'])) {
            $subsectionsection = check_subsection('HIST110', 'Checks subsection');
        }

        // A private file of teacher1 (no learner): never listed or sent.
        $teacher1 = $DB->get_record('user', ['username' => 'teacher1'], '*', MUST_EXIST);
        $fs = get_file_storage();
        $teachercontext = context_user::instance($teacher1->id);
        $teacherfile = $fs->get_file($teachercontext->id, 'user', 'private', 0, '/', 'teacher_notes.txt')
            ?: $fs->create_file_from_string(['contextid' => $teachercontext->id, 'component' => 'user',
                'filearea' => 'private', 'itemid' => 0, 'filepath' => '/', 'filename' => 'teacher_notes.txt'],
                "Teacher's own notes.\n");

        foreach (['enabled' => 1, 'requirehttps' => 0, 'allowedservices' => 'local_logintoken,moodle_mobile_app',
                'redirecturl' => '', 'maxfailedattempts' => 1000, 'lockoutwindow' => 900, 'allowget' => 0,
                'refuseadmins' => 1] as $name => $value) {
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
            'suspended_bridge' => check_token('suspended_bridge', $suspended->id, 'bridge'),
            'ltteacher_bridge' => check_token('ltteacher_bridge', $ltteacher->id, 'bridge'),
        ];
        ksort($tokens);
        // What this site calls a missing course, user and course module (Moodle 5.0+ names no
        // table unless debugging is on: invalidrecordunknown).
        $missing = [];
        foreach (['course' => 'SELECT', 'user' => 'SELECT', 'course_modules' => 'SELECT'] as $table => $sql) {
            $missing[$table] = (new dml_missing_record_exception($table, $sql))->errorcode;
        }
        answer(['tokens' => $tokens, 'suspended_userid' => (int) $suspended->id, 'bridge_functions' => $added,
            'teacher1_private_fileid' => (int) $teacherfile->get_id(), 'missing_record' => $missing,
            'subsection_section' => $subsectionsection, 'release' => $CFG->release]);
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
    case 'cli-changes':
        [, $courseid, $userid, $fullname] = $args + [null, null, null, null];
        require_once($CFG->dirroot . '/course/lib.php');
        $course = $DB->get_record('course', ['id' => (int) $courseid], '*', MUST_EXIST);
        update_course((object) ['id' => $course->id, 'fullname' => $fullname]);
        $manual = $DB->get_record('enrol', ['courseid' => $course->id, 'enrol' => 'manual'], '*', MUST_EXIST);
        enrol_get_plugin('manual')->unenrol_user($manual, (int) $userid);
        answer(['done' => true]);
        break;
    default:
        fwrite(STDERR, "usage: real-moodle-plugins-setup.php --moodle=DIR setup|config NAME VALUE|reset-attempts|events"
            . "|cli-changes COURSE USER FULLNAME\n");
        exit(2);
}
