/**
 * udsink's log lines: the SLF4J backend every part of udsink logs through. One line per event on
 * standard error, as text or as a JSON object, under one process-wide level.
 */
package io.udsink.collector.log;
