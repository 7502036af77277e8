/**
 * The command line: {@code serve}, {@code count}, {@code send}; options, signals, logging, exit
 * status, and the life of an instance (socket activation, takeover, readiness).
 */
package io.udsink.collector.cli;
