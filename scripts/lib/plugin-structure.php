<?php
// Structure test of the project's Moodle plugins, run without Moodle (php-cli only):
//   php plugin-structure.php PLUGIN_DIR... [--zip=NAME:FILE.zip ...]
//   php plugin-structure.php --self-test PLUGIN_DIR
// For each plugin folder: version.php sets component (matching the folder), version and
// requires (Moodle 4.2+); every function of db/services.php names a class under
// classes/external/ with public static execute_parameters, execute and execute_returns, and
// belongs to the component; db/access.php capabilities are the component's and have their
// language string; every string the code asks for from the component (get_string,
// lang_string, moodle_exception, login_exception reason families, cache definitions,
// privacy metadata) exists in lang/en; every PHP file has the GPL header and the
// @package/@copyright/@license tags, and files with file-level code that are not entry points
// check MOODLE_INTERNAL. Each --zip=TOP:FILE must hold exactly the plugin's files
// under TOP/. Prints one line per problem and `plugin structure: N problems`; exits 1 on any.
// --self-test breaks a copy of a plugin in several ways and fails unless each break is found.

error_reporting(E_ALL);

/**
 * Problems found, one string each.
 *
 * @var string[]
 */
$problems = [];

/**
 * Records a problem.
 *
 * @param string $message what is wrong, naming the file
 */
function problem(string $message): void {
    global $problems;
    $problems[] = $message;
}

/**
 * Includes a plugin's PHP definition file in a sandbox with the constants it may use.
 *
 * @param string $file the file
 * @param string $var the variable it defines
 * @return mixed the variable's value, or null
 */
function load_definition(string $file, string $var) {
    foreach (['MOODLE_INTERNAL' => true, 'MATURITY_ALPHA' => 50, 'MATURITY_BETA' => 100, 'MATURITY_RC' => 150,
            'MATURITY_STABLE' => 200, 'RISK_SPAM' => 0x0001, 'RISK_PERSONAL' => 0x0002, 'RISK_XSS' => 0x0004,
            'RISK_CONFIG' => 0x0008, 'RISK_MANAGETRUST' => 0x0010, 'RISK_DATALOSS' => 0x0020, 'CAP_ALLOW' => 1,
            'CAP_PREVENT' => -1, 'CAP_PROHIBIT' => -1000, 'CONTEXT_SYSTEM' => 10, 'CONTEXT_USER' => 30,
            'CONTEXT_COURSECAT' => 40, 'CONTEXT_COURSE' => 50, 'CONTEXT_MODULE' => 70, 'CONTEXT_BLOCK' => 80,
            'MOODLE_OFFICIAL_MOBILE_SERVICE' => 'moodle_mobile_app'] as $name => $value) {
        if (!defined($name)) {
            define($name, $value);
        }
    }
    if (!class_exists('cache_store')) {
        eval('class cache_store { const MODE_APPLICATION = 1; const MODE_SESSION = 2; const MODE_REQUEST = 4; }');
    }
    if (!is_file($file)) {
        return null;
    }
    $plugin = new stdClass();
    $functions = $services = $capabilities = $definitions = $string = null;
    include($file);
    return $$var;
}

/**
 * PHP files of a folder, relative paths, sorted.
 *
 * @param string $dir the folder
 * @return string[]
 */
function php_files(string $dir): array {
    $files = [];
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $f) {
        $files[] = substr($f->getPathname(), strlen($dir) + 1);
    }
    sort($files);
    return array_values(array_filter($files, fn($f) => str_ends_with($f, '.php')));
}

/**
 * Every file of a folder, relative paths, sorted (dot files left out, as the ZIPs leave them).
 *
 * @param string $dir the folder
 * @return string[]
 */
function all_files(string $dir): array {
    $files = [];
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($dir, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $f) {
        $rel = substr($f->getPathname(), strlen($dir) + 1);
        if (!preg_match('~(^|/)\.~', $rel)) {
            $files[] = $rel;
        }
    }
    sort($files);
    return $files;
}

/**
 * The public static methods of the class a file declares, by the tokenizer (the class cannot
 * be loaded without Moodle).
 *
 * @param string $source PHP source
 * @return array{class: ?string, namespace: string, methods: string[]}
 */
function class_outline(string $source): array {
    $tokens = token_get_all($source);
    $namespace = '';
    $class = null;
    $methods = [];
    $modifiers = [];
    $count = count($tokens);
    for ($i = 0; $i < $count; $i++) {
        $t = $tokens[$i];
        if (!is_array($t)) {
            if ($t === ';' || $t === '{' || $t === '}') {
                $modifiers = [];
            }
            continue;
        }
        if ($t[0] === T_NAMESPACE) {
            $namespace = '';
            for ($j = $i + 1; $j < $count && $tokens[$j] !== ';'; $j++) {
                if (is_array($tokens[$j]) && in_array($tokens[$j][0], [T_NAME_QUALIFIED, T_STRING], true)) {
                    $namespace .= $tokens[$j][1];
                }
            }
        } else if ($t[0] === T_CLASS && $class === null) {
            for ($j = $i + 1; $j < $count; $j++) {
                if (is_array($tokens[$j]) && $tokens[$j][0] === T_STRING) {
                    $class = $tokens[$j][1];
                    break;
                }
            }
        } else if (in_array($t[0], [T_PUBLIC, T_PROTECTED, T_PRIVATE, T_STATIC], true)) {
            $modifiers[] = $t[0];
        } else if ($t[0] === T_FUNCTION) {
            for ($j = $i + 1; $j < $count; $j++) {
                if (is_array($tokens[$j]) && $tokens[$j][0] === T_STRING) {
                    $public = !in_array(T_PRIVATE, $modifiers, true) && !in_array(T_PROTECTED, $modifiers, true);
                    if ($public && in_array(T_STATIC, $modifiers, true)) {
                        $methods[] = $tokens[$j][1];
                    }
                    break;
                }
            }
            $modifiers = [];
        }
    }
    return ['class' => $class, 'namespace' => $namespace, 'methods' => $methods];
}

/**
 * Checks one plugin folder.
 *
 * @param string $dir the plugin's folder (`local_<name>`)
 */
function check_plugin(string $dir): void {
    $dir = rtrim($dir, '/');
    $folder = basename($dir);
    $plugin = load_definition("$dir/version.php", 'plugin');
    if (!$plugin) {
        problem("$folder/version.php: missing");
        return;
    }
    $component = $plugin->component ?? null;
    if ($component !== $folder) {
        problem("$folder/version.php: component is " . var_export($component, true) . ", expected '$folder'");
        $component = $folder;
    }
    if (!is_int($plugin->version ?? null) || strlen((string) $plugin->version) !== 10) {
        problem("$folder/version.php: version must be a YYYYMMDDXX integer");
    }
    if (!is_int($plugin->requires ?? null) || $plugin->requires < 2023042400) {
        problem("$folder/version.php: requires must be an integer of Moodle 4.2 (2023042400) or later");
    }
    [, $name] = explode('_', $component, 2);

    $strings = load_definition("$dir/lang/en/$component.php", 'string');
    if (!is_array($strings)) {
        problem("$folder/lang/en/$component.php: missing");
        $strings = [];
    }
    $needstring = function (string $key, string $where) use ($strings, $folder, $component) {
        if (!array_key_exists($key, $strings)) {
            problem("$folder/$where: string '$key' is not in lang/en/$component.php");
        }
    };
    $needstring('pluginname', 'version.php');

    $functions = load_definition("$dir/db/services.php", 'functions');
    if (!is_array($functions) || !$functions) {
        problem("$folder/db/services.php: no \$functions");
        $functions = [];
    }
    foreach ($functions as $fname => $def) {
        if (strpos($fname, $component . '_') !== 0) {
            problem("$folder/db/services.php: function $fname does not start with {$component}_");
        }
        foreach (['classname', 'description', 'type'] as $key) {
            if (empty($def[$key])) {
                problem("$folder/db/services.php: $fname has no $key");
            }
        }
        if (!in_array($def['type'] ?? '', ['read', 'write'], true)) {
            problem("$folder/db/services.php: $fname type must be read or write");
        }
        if (($def['methodname'] ?? 'execute') !== 'execute') {
            problem("$folder/db/services.php: $fname methodname must be execute");
        }
        $classname = ltrim($def['classname'] ?? '', '\\');
        $prefix = "$component\\external\\";
        if (strpos($classname, $prefix) !== 0) {
            problem("$folder/db/services.php: $fname class $classname is not in $prefix");
            continue;
        }
        $short = substr($classname, strlen($prefix));
        $file = "$dir/classes/external/$short.php";
        if (!is_file($file)) {
            problem("$folder/db/services.php: $fname: classes/external/$short.php does not exist");
            continue;
        }
        $outline = class_outline(file_get_contents($file));
        if ($outline['class'] !== $short || $outline['namespace'] !== "$component\\external") {
            problem("$folder/classes/external/$short.php: does not declare class $classname");
        }
        foreach (['execute_parameters', 'execute', 'execute_returns'] as $method) {
            if (!in_array($method, $outline['methods'], true)) {
                problem("$folder/classes/external/$short.php: no public static $method()");
            }
        }
    }
    $services = load_definition("$dir/db/services.php", 'services') ?: [];
    foreach ($services as $sname => $service) {
        foreach ($service['functions'] ?? [] as $f) {
            if (!isset($functions[$f])) {
                problem("$folder/db/services.php: service '$sname' lists unknown function $f");
            }
        }
    }

    $capabilities = load_definition("$dir/db/access.php", 'capabilities');
    if (!is_array($capabilities)) {
        problem("$folder/db/access.php: no \$capabilities");
        $capabilities = [];
    }
    foreach (array_keys($capabilities) as $cap) {
        if (strpos($cap, "local/$name:") !== 0) {
            problem("$folder/db/access.php: capability $cap is not local/$name:…");
        }
        $needstring(str_replace("local/$name:", "$name:", $cap), 'db/access.php');
    }
    foreach (array_keys(load_definition("$dir/db/caches.php", 'definitions') ?: []) as $cache) {
        $needstring("cachedef_$cache", 'db/caches.php');
    }

    $q = '[\'"]';
    foreach (php_files($dir) as $rel) {
        $source = file_get_contents("$dir/$rel");
        if (strpos($source, 'GNU General Public License') === false) {
            problem("$folder/$rel: no GPL header");
        }
        foreach (['@package', '@copyright', '@license'] as $tag) {
            if (strpos($source, $tag) === false) {
                problem("$folder/$rel: no $tag");
            }
        }
        $entry = preg_match('~require(_once)?\(__DIR__ \. \'(/\.\.)+/config\.php\'\)~', $source)
            || strpos($source, "define('CLI_SCRIPT'") !== false;
        // Moodle's rule: a file with code at file level needs the check; one that only declares
        // a namespaced class (classes/, most tests) does not.
        $filelevelcode = preg_match('~^(require|include|\$|global |if \(|foreach |echo )~m', $source);
        if (strpos($rel, 'classes/') !== 0 && !$entry && $filelevelcode
                && strpos($source, "defined('MOODLE_INTERNAL') || die();") === false) {
            problem("$folder/$rel: no defined('MOODLE_INTERNAL') || die();");
        }
        if (strpos($rel, 'lang/') === 0) {
            continue;
        }
        $patterns = [
            "~get_string\(\s*{$q}([^'\"]+){$q}\s*,\s*{$q}{$component}{$q}~",
            "~lang_string\(\s*{$q}([^'\"]+){$q}\s*,\s*{$q}{$component}{$q}~",
            "~moodle_exception\(\s*{$q}([^'\"]+){$q}\s*,\s*{$q}{$component}{$q}~",
            "~{$q}(privacy:metadata[^'\"]*){$q}~",
        ];
        foreach ($patterns as $pattern) {
            preg_match_all($pattern, $source, $m);
            foreach ($m[1] as $key) {
                $needstring($key, $rel);
            }
        }
        // login_exception('reason', …) reads err_<reason> and err_<reason>_desc.
        preg_match_all("~login_exception\(\s*{$q}([a-z]+){$q}~", $source, $m);
        foreach ($m[1] as $reason) {
            $needstring("err_$reason", $rel);
            $needstring("err_{$reason}_desc", $rel);
        }
    }
}

/**
 * Checks that a ZIP holds exactly a plugin's files under one top folder.
 *
 * @param string $top the top folder's name
 * @param string $zipfile the ZIP
 * @param string $dir the plugin's source folder
 */
function check_zip(string $top, string $zipfile, string $dir): void {
    $entries = zip_entries($zipfile);
    if ($entries === null) {
        problem("$zipfile: cannot be opened as a ZIP");
        return;
    }
    $expected = array_map(fn($f) => "$top/$f", all_files($dir));
    $actual = array_values(array_filter($entries, fn($e) => !str_ends_with($e, '/')));
    sort($actual);
    foreach (array_diff($expected, $actual) as $missing) {
        problem(basename($zipfile) . ": $missing is missing");
    }
    foreach (array_diff($actual, $expected) as $extra) {
        problem(basename($zipfile) . ": $extra should not be there");
    }
}

/**
 * The entry names of a ZIP: with PHP's zip extension when it is there (Debian ships it apart
 * from php-cli), else with Python's zipfile.
 *
 * @param string $zipfile the ZIP
 * @return string[]|null the names, or null when it is not a ZIP
 */
function zip_entries(string $zipfile): ?array {
    if (class_exists('ZipArchive')) {
        $zip = new ZipArchive();
        if ($zip->open($zipfile) !== true) {
            return null;
        }
        $entries = [];
        for ($i = 0; $i < $zip->numFiles; $i++) {
            $entries[] = $zip->getNameIndex($i);
        }
        $zip->close();
        return $entries;
    }
    $cmd = 'python3 -c ' . escapeshellarg('import sys, zipfile; print(*zipfile.ZipFile(sys.argv[1]).namelist(), sep=chr(10))')
        . ' ' . escapeshellarg($zipfile) . ' 2>/dev/null';
    exec($cmd, $lines, $status);
    return $status === 0 ? $lines : null;
}

/**
 * Breaks copies of a plugin in several ways; each break must be reported.
 *
 * @param string $dir the plugin's folder
 * @return bool whether every break was found
 */
function self_test(string $dir): bool {
    global $problems;
    $dir = rtrim($dir, '/');
    $folder = basename($dir);
    $breaks = [
        'version.php without requires' => ['version.php', '~\$plugin->requires\s*=.*\n~', ''],
        'an external class without execute_returns' => [null, '~function execute_returns~', 'function returns_x'],
        'a string the code uses but lang/en lacks' => ["lang/en/$folder.php", null, ''],
        'a function whose class is missing' => ['db/services.php', "~'classname' => '~", "'classname' => 'x"],
    ];
    $ok = true;
    foreach ($breaks as $what => [$file, $pattern, $replacement]) {
        $copy = sys_get_temp_dir() . '/plugin-structure-' . getmypid() . '/' . $folder;
        exec('rm -rf ' . escapeshellarg(dirname($copy)) . ' && mkdir -p ' . escapeshellarg(dirname($copy))
            . ' && cp -r ' . escapeshellarg($dir) . ' ' . escapeshellarg($copy));
        $file = $file ?? 'classes/external/' . basename(glob("$copy/classes/external/*.php")[0]);
        $path = "$copy/$file";
        if ($pattern === null) {
            // The first string a class asks for, by get_string() or moodle_exception().
            $sources = implode("\n", array_map('file_get_contents', glob("$copy/classes/*/*.php")));
            preg_match("~(?:get_string|moodle_exception)\\(\\s*'([^']+)',\\s*'$folder'~", $sources, $m);
            $pattern = '~\\$string\\[\'' . preg_quote($m[1] ?? 'pluginname', '~') . '\'\\].*\n~';
        }
        file_put_contents($path, preg_replace($pattern, $replacement, file_get_contents($path), 1));
        $problems = [];
        check_plugin($copy);
        $found = count($problems) > 0;
        echo ($found ? 'ok   ' : 'FAIL ') . "self-test: $what is reported" . ($found ? " ({$problems[0]})" : '') . "\n";
        $ok = $ok && $found;
        exec('rm -rf ' . escapeshellarg(dirname($copy)));
    }
    $problems = [];
    return $ok;
}

$args = array_slice($argv, 1);
if (($args[0] ?? '') === '--self-test') {
    exit(self_test($args[1] ?? '') ? 0 : 1);
}
$zips = [];
$dirs = [];
foreach ($args as $arg) {
    if (strpos($arg, '--zip=') === 0) {
        [$top, $file] = explode(':', substr($arg, 6), 2);
        $zips[$top] = $file;
    } else {
        $dirs[] = rtrim($arg, '/');
    }
}
foreach ($dirs as $dir) {
    check_plugin($dir);
    [, $name] = explode('_', basename($dir), 2);
    if (isset($zips[$name])) {
        check_zip($name, $zips[$name], $dir);
        unset($zips[$name]);
    }
}
foreach ($zips as $top => $file) {
    problem("$file: no plugin folder given for top folder $top");
}
foreach ($problems as $p) {
    echo "problem: $p\n";
}
echo 'plugin structure: ' . count($dirs) . ' plugins, ' . count($problems) . " problems\n";
exit($problems ? 1 : 0);
