package io.udsink.collector.cli;

import java.util.ArrayList;
import java.util.List;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import picocli.CommandLine.Option;

/** Options shared by the commands that bind sockets and run the receive loop. */
public class ReceiveOptions {
  @Option(names = "--socket-mode", paramLabel = "MODE", converter = OctalMode.class,
      description = "Permissions of each socket file, octal (default: ${DEFAULT-VALUE}).",
      defaultValue = "0660")
  int socketMode;

  @Option(names = "--mkdir",
      description = "Create a missing parent directory of a socket path (mode 0750).")
  boolean mkdir;

  @Option(names = "--budget", paramLabel = "N",
      description = "Datagrams read from one socket per turn before the next ready socket is "
          + "served (default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ReceiveLoop.DEFAULT_BUDGET)
  int budget;

  @Option(names = "--max-datagram", paramLabel = "BYTES",
      description = "Largest datagram kept whole; longer ones are cut and counted as truncated "
          + "(default: ${DEFAULT-VALUE}).",
      defaultValue = "" + ReceiveLoop.DEFAULT_MAX_DATAGRAM)
  int maxDatagram;

  /** Checks the numbers, naming the bad flag. */
  void validate() {
    if (budget < 1 || budget > 1_000_000) {
      throw new UdsinkException("--budget must be between 1 and 1000000, was " + budget);
    }
    if (maxDatagram < 1 || maxDatagram > 16 * 1024 * 1024) {
      throw new UdsinkException("--max-datagram must be between 1 and 16777216, was "
          + maxDatagram);
    }
  }

  /**
   * Binds every socket; on a failure closes the ones already bound (removing their files).
   *
   * @param specs the sockets to bind
   * @return the bound sockets, in order
   */
  List<BoundSocket> bindAll(List<String> specs) {
    List<SocketSpec> parsed = new ArrayList<>();
    for (String s : specs) {
      SocketSpec spec = SocketSpec.parse(s);
      if (parsed.contains(spec)) {
        throw new UdsinkException("socket " + spec + " is given twice");
      }
      parsed.add(spec);
    }
    List<BoundSocket> bound = new ArrayList<>();
    try {
      for (SocketSpec spec : parsed) {
        bound.add(BoundSocket.bind(spec, socketMode, mkdir));
      }
      return bound;
    } catch (RuntimeException e) {
      bound.forEach(BoundSocket::close);
      throw e;
    }
  }
}
