package io.udsink.collector.cli;

import io.udsink.collector.UsageException;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.takeover.TakeoverClient;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.InheritedSockets;
import io.udsink.collector.transport.SocketSpec;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Options shared by the commands that bind sockets and run the receive loop. */
public class ReceiveOptions {
  private static final Logger LOG = LoggerFactory.getLogger(ReceiveOptions.class);

  int socketMode;

  String socketGroup;

  boolean takeover;

  boolean mkdir;

  int budget;

  int maxDatagram;

  private java.nio.file.attribute.GroupPrincipal group;

  /** Adds these options to a command's. */
  void addTo(Args a) {
    a.value(
            "--socket-mode",
            "MODE",
            "0666",
            "Permissions of each socket file, octal (default: ${DEFAULT-VALUE}: every "
                + "local process may send, as to /dev/log; 0660 with --socket-group restricts it).",
            v -> socketMode = OctalMode.parse(v))
        .value(
            "--socket-group",
            "GROUP",
            null,
            "Group of each socket file (with --socket-mode 0660: only its members, and "
                + "udsink's user, may send).",
            v -> socketGroup = v)
        .flag(
            "--takeover",
            "If an instance of udsink serves these sockets, take them over from it: it "
                + "hands them over, makes its final flush and exits; nothing is lost and senders see "
                + "no error. With none running, bind as usual.",
            () -> takeover = true)
        .flag(
            "--mkdir",
            "Create a missing parent directory of a socket path (mode 0755).",
            () -> mkdir = true)
        .value(
            "--budget",
            "N",
            "" + ReceiveLoop.DEFAULT_BUDGET,
            "Datagrams read from one socket per turn before the next ready socket is "
                + "served (default: ${DEFAULT-VALUE}).",
            v -> budget = Args.integer(v))
        .value(
            "--max-datagram",
            "BYTES",
            "" + ReceiveLoop.DEFAULT_MAX_DATAGRAM,
            "Largest datagram kept whole; longer ones are cut and counted as truncated "
                + "(default: ${DEFAULT-VALUE}).",
            v -> maxDatagram = Args.integer(v));
  }

  /** Checks the numbers and the group, naming the bad flag. */
  void validate() {
    if (socketGroup != null) {
      try {
        group =
            java.nio.file.FileSystems.getDefault()
                .getUserPrincipalLookupService()
                .lookupPrincipalByGroupName(socketGroup);
      } catch (java.io.IOException e) {
        throw new UsageException("--socket-group " + socketGroup + ": no such group");
      }
    }
    if (budget < 1 || budget > 1_000_000) {
      throw new UsageException("--budget must be between 1 and 1000000, was " + budget);
    }
    if (maxDatagram < 1 || maxDatagram > 16 * 1024 * 1024) {
      throw new UsageException("--max-datagram must be between 1 and 16777216, was " + maxDatagram);
    }
  }

  /** The sockets a command reads, and the takeover they came from, if any. */
  record Opened(List<BoundSocket> sockets, TakeoverClient takeover) {
    /** True when every socket belongs to systemd's socket unit. */
    boolean allInherited() {
      return sockets.stream().allMatch(BoundSocket::isInherited);
    }

    /**
     * Gives the sockets up before they were read: closes (and removes) what this instance bound,
     * but only lets go of sockets a running instance offered, which it goes on serving.
     */
    void abandon() {
      if (takeover != null) {
        sockets.forEach(BoundSocket::release);
        takeover.close();
      } else {
        sockets.forEach(BoundSocket::close);
      }
    }
  }

  /**
   * Opens the sockets a command reads:
   *
   * <ul>
   *   <li>with {@code --takeover} and an instance of udsink serving the first socket, the
   *       sockets it hands over;</li>
   *   <li>otherwise, for each socket given, the one systemd passed (socket activation) when its
   *       address matches, else a newly bound one;</li>
   *   <li>with no socket given: every socket systemd passed, or else the default socket.</li>
   * </ul>
   *
   * On a failure the sockets opened so far are closed (their files removed).
   *
   * @param given the {@code --socket} arguments
   * @param kind the command ({@code serve} or {@code count}), which a takeover must match
   * @return the sockets
   */
  Opened open(List<String> given, String kind) {
    List<InheritedSockets.Inherited> inherited =
        InheritedSockets.fromEnvironment(System.getenv(), ProcessHandle.current().pid());
    List<String> texts = new ArrayList<>(given);
    if (texts.isEmpty()) {
      if (inherited.isEmpty()) {
        texts.add(Defaults.socket());
      } else {
        inherited.forEach(i -> texts.add(i.spec().toString()));
      }
    }
    List<SocketSpec> parsed = new ArrayList<>();
    for (String s : texts) {
      SocketSpec spec = SocketSpec.parse(s);
      if (parsed.contains(spec)) {
        throw new UsageException("socket " + spec + " is given twice");
      }
      parsed.add(spec);
    }
    if (takeover) {
      TakeoverClient client = TakeoverClient.connect(parsed.get(0));
      if (client != null) {
        try {
          return new Opened(client.request(kind, parsed), client);
        } catch (RuntimeException e) {
          client.close();
          throw e;
        }
      }
      LOG.info("--takeover: no running instance serves {}; binding as usual", parsed.get(0));
    }
    List<BoundSocket> opened = new ArrayList<>();
    try {
      for (SocketSpec spec : parsed) {
        InheritedSockets.Inherited match =
            inherited.stream().filter(i -> same(i.spec(), spec)).findFirst().orElse(null);
        opened.add(
            match != null
                ? InheritedSockets.adopt(match)
                : BoundSocket.bind(spec, socketMode, mkdir, group));
      }
    } catch (RuntimeException e) {
      opened.forEach(BoundSocket::close);
      throw e;
    }
    for (InheritedSockets.Inherited i : inherited) {
      if (parsed.stream().noneMatch(p -> same(i.spec(), p))) {
        LOG.warn(
            "inherited fd {} ({}) is not among the sockets given; it is not read",
            i.fd(),
            i.spec());
      }
    }
    return new Opened(opened, null);
  }

  private static boolean same(SocketSpec a, SocketSpec b) {
    if (a.isAbstract() || b.isAbstract()) {
      return a.equals(b);
    }
    return a.path().toAbsolutePath().normalize().equals(b.path().toAbsolutePath().normalize());
  }
}
