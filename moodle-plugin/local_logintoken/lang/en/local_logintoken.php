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
 * English strings of the Login Token plugin.
 *
 * @package    local_logintoken
 * @category   string
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['adminrefused'] = 'Site administrators cannot be logged in with a token on this site.';
$string['allowedservices'] = 'Allowed services';
$string['allowedservices_desc'] = 'Short names of the web services whose tokens may log in, separated by commas. The plugin\'s own service is local_logintoken; the Moodle app\'s is moodle_mobile_app.';
$string['allowget'] = 'Allow tokens in URLs (GET)';
$string['allowget_desc'] = 'Let auth/logintoken.php take a token from the address (a GET request, or a POST with wstoken in the address), for old links. Off by default: an address is written to web server and proxy logs, browser history and Referer headers, so whoever reads them can log in as the token\'s user. Send tokens by POST instead.';
$string['cachedef_failedattempts'] = 'Failed token logins per client address';
$string['confirmswitch'] = 'Switch user?';
$string['confirmswitch_desc'] = 'You are logged in as {$a->current}. This link logs in {$a->new} instead, and ends your session. Continue only if you expected it.';
$string['confirmswitchcancel'] = 'Stay logged in';
$string['confirmswitchcontinue'] = 'Switch user';
$string['enabled'] = 'Enable token login';
$string['enabled_desc'] = 'When off, the token login page and the plugin\'s web service functions refuse every request.';
$string['err_adminrefused'] = 'Administrator login refused';
$string['err_adminrefused_desc'] = 'Site administrators cannot be logged in with a token on this site';
$string['err_httpsrequired'] = 'HTTPS required';
$string['err_httpsrequired_desc'] = 'Token login is only accepted over HTTPS on this site';
$string['err_invalidkey'] = 'Invalid login key';
$string['err_invalidkey_desc'] = 'The login key is invalid, expired, already used or not for this address';
$string['err_invalidsesskey'] = 'Confirmation expired';
$string['err_invalidsesskey_desc'] = 'The confirmation does not carry this browser session\'s key; open the link again';
$string['err_invalidtoken'] = 'Invalid token';
$string['err_invalidtoken_desc'] = 'The provided wstoken is invalid or expired';
$string['err_iprestricted'] = 'Address not allowed';
$string['err_iprestricted_desc'] = 'This token cannot be used from your IP address';
$string['err_logindisabled'] = 'Token login disabled';
$string['err_logindisabled_desc'] = 'Token login is disabled on this site';
$string['err_loginrefused'] = 'Login refused';
$string['err_loginrefused_desc'] = 'The user of this token cannot log in with a token';
$string['err_missingtoken'] = 'Missing token';
$string['err_missingtoken_desc'] = 'The wstoken parameter is required';
$string['err_ratelimited'] = 'Too many attempts';
$string['err_ratelimited_desc'] = 'Too many failed token logins from your address; try again later';
$string['err_servicenotallowed'] = 'Service not allowed';
$string['err_servicenotallowed_desc'] = 'Tokens of this web service cannot be used to log in';
$string['err_tokenexpired'] = 'Invalid token';
$string['err_tokenexpired_desc'] = 'The provided wstoken is invalid or expired';
$string['err_tokeninurl'] = 'Token in URL';
$string['err_tokeninurl_desc'] = 'Send the token in the POST body (field wstoken), not in the address';
$string['err_unknownfunction'] = 'Unknown function';
$string['err_unknownfunction_desc'] = 'Only local_logintoken_validate_token can be called here';
$string['err_usersuspended'] = 'User suspended';
$string['err_usersuspended_desc'] = 'The account of this token\'s user is suspended';
$string['eventloginfailed'] = 'Token login failed';
$string['httpsrequired'] = 'Token login is only accepted over HTTPS on this site.';
$string['lockoutwindow'] = 'Lockout window';
$string['lockoutwindow_desc'] = 'Failed attempts are counted over this period; an address that reaches the maximum is refused until the period since its first failure has passed.';
$string['logindisabled'] = 'Token login is disabled on this site.';
$string['loginsuccess'] = 'Login successful';
$string['logintoken:usetoken'] = 'Log in with a web service token';
$string['maxfailedattempts'] = 'Maximum failed attempts per address';
$string['maxfailedattempts_desc'] = 'Failed token logins allowed from one IP address within the lockout window before further attempts are refused with HTTP 429. 0 turns the limit off.';
$string['pluginname'] = 'Login Token';
$string['postrequired'] = 'Token login needs POST';
$string['postrequired_desc'] = 'This address logs a browser in with a web service token, and takes the token only from a form sent by POST. A token in an address is written to server logs, browser history and Referer headers, where anybody who reads them could log in as you, so this site refuses it. If you followed a link, ask the application that gave it to you to open Moodle again.';
$string['privacy:metadata:core_userkey'] = 'One-time login keys issued by local_logintoken_login_with_token, valid for one minute.';
$string['redirecturl'] = 'Redirect URL';
$string['redirecturl_desc'] = 'Where a browser goes after a token login when the request names no local page. Empty: the site\'s front page.';
$string['refuseadmins'] = 'Refuse site administrators';
$string['refuseadmins_desc'] = 'Never log a site administrator in with a token, nor issue them login keys. A leaked administrator token then cannot become a browser session that changes the whole site.';
$string['requirehttps'] = 'Require HTTPS';
$string['requirehttps_desc'] = 'Refuse token logins, validations and login keys that do not arrive over HTTPS. Recommended: a token is a password.';
$string['servicenotallowed'] = 'Tokens of this web service cannot be used to log in.';
$string['tokenvalid'] = 'Token is valid';
