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

use cache;

/**
 * Counts failed token logins per client address and locks an address out for a while once it
 * has failed too often (settings `maxfailedattempts` and `lockoutwindow`).
 *
 * @package    local_logintoken
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class rate_limiter {
    /** @var \cache The `failedattempts` cache. */
    private $cache;

    /** @var string The cache key of the address. */
    private $key;

    /**
     * Creates a limiter for an address.
     *
     * @param string $remoteaddr the client's address
     */
    public function __construct(string $remoteaddr) {
        $this->cache = cache::make('local_logintoken', 'failedattempts');
        $this->key = 'ip_' . sha1($remoteaddr);
    }

    /**
     * Seconds until the address may try again; 0 when it is not locked out.
     *
     * @return int
     */
    public function retry_after(): int {
        $max = (int) get_config('local_logintoken', 'maxfailedattempts');
        $entry = $this->current();
        if ($max <= 0 || $entry === null || $entry['count'] < $max) {
            return 0;
        }
        return max(1, $entry['first'] + self::window() - time());
    }

    /**
     * Records one failed attempt from the address.
     */
    public function record_failure(): void {
        $entry = $this->current() ?? ['count' => 0, 'first' => time()];
        $entry['count']++;
        $this->cache->set($this->key, $entry);
    }

    /**
     * Forgets the address's failures.
     */
    public function reset(): void {
        $this->cache->delete($this->key);
    }

    /**
     * The address's failures in the current window, if any.
     *
     * @return array{count: int, first: int}|null
     */
    private function current(): ?array {
        $entry = $this->cache->get($this->key);
        if (!is_array($entry) || time() - $entry['first'] >= self::window()) {
            return null;
        }
        return $entry;
    }

    /**
     * The lockout window in seconds.
     *
     * @return int
     */
    private static function window(): int {
        $window = (int) get_config('local_logintoken', 'lockoutwindow');
        return $window > 0 ? $window : 15 * MINSECS;
    }
}
