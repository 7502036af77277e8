package io.udsink.collector.parse;

import java.util.List;

/**
 * A DogStatsD service check: {@code _sc|name|status|d:..|h:..|#tags|m:message}.
 *
 * @param name the check's name
 * @param status 0 ok, 1 warning, 2 critical, 3 unknown
 * @param timestamp {@code d:} seconds, or null
 * @param hostname {@code h:}, or null
 * @param tags the tags, sorted
 * @param message {@code m:}, or null
 */
public record ServiceCheck(
    String name, int status, Long timestamp, String hostname, List<String> tags, String message) {}
