package io.udsink.collector.parse;

import java.util.List;

/**
 * A DogStatsD event: {@code _e{<title length>,<text length>}:title|text|d:..|h:..|k:..|p:..|s:..
 * |t:..|#tags}.
 *
 * @param title the title
 * @param text the text, with {@code \\n} turned into newlines
 * @param timestamp {@code d:} seconds, or null
 * @param hostname {@code h:}, or null
 * @param aggregationKey {@code k:}, or null
 * @param priority {@code p:} (normal or low), or null
 * @param sourceType {@code s:}, or null
 * @param alertType {@code t:} (error, warning, info, success), or null
 * @param tags the tags, sorted
 */
public record Event(
    String title,
    String text,
    Long timestamp,
    String hostname,
    String aggregationKey,
    String priority,
    String sourceType,
    String alertType,
    List<String> tags) {}
