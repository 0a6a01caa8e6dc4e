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

namespace local_logintoken\local;

/**
 * A refused token login: the seed's `error`/`message` pair, a stable reason code and an HTTP status.
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class login_exception extends \moodle_exception {
    /** @var string Stable reason code, e.g. `invalidtoken`; also the errorcode of the JSON answer. */
    protected $reason;

    /** @var int HTTP status of the answer. */
    protected $httpstatus;

    /** @var int|null The user the refused token or key belongs to, when known. */
    protected $relateduserid;

    /**
     * Creates the exception.
     *
     * @param string $reason one of the `err_<reason>` language strings
     * @param int $httpstatus the HTTP status to answer with
     * @param int|null $relateduserid the user the token belongs to, when known
     */
    public function __construct(string $reason, int $httpstatus, ?int $relateduserid = null) {
        $this->reason = $reason;
        $this->httpstatus = $httpstatus;
        $this->relateduserid = $relateduserid;
        parent::__construct('err_' . $reason . '_desc', 'local_logintoken');
    }

    /**
     * The stable reason code.
     *
     * @return string
     */
    public function get_reason(): string {
        return $this->reason;
    }

    /**
     * The HTTP status to answer with.
     *
     * @return int
     */
    public function get_http_status(): int {
        return $this->httpstatus;
    }

    /**
     * The user the refused token or key belongs to, when known.
     *
     * @return int|null
     */
    public function get_related_userid(): ?int {
        return $this->relateduserid;
    }

    /**
     * The short error title (`error` in the JSON answer).
     *
     * @return string
     */
    public function get_title(): string {
        return get_string('err_' . $this->reason, 'local_logintoken');
    }

    /**
     * The longer explanation (`message` in the JSON answer).
     *
     * @return string
     */
    public function get_description(): string {
        return get_string('err_' . $this->reason . '_desc', 'local_logintoken');
    }

    /**
     * Whether this refusal counts against the client's address for the rate limit.
     *
     * Configuration problems (HTTPS, plugin disabled), malformed requests (a token in the URL, a
     * confirmation without the session's key) do not; anything that could be a guess at a
     * credential, or the use of a token that may not log in, does.
     *
     * @return bool
     */
    public function counts_as_attempt(): bool {
        return !in_array($this->reason, ['missingtoken', 'httpsrequired', 'logindisabled', 'unknownfunction', 'ratelimited',
            'tokeninurl', 'invalidsesskey'], true);
    }
}
