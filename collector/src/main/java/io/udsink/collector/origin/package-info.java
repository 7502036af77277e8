/**
 * Origin detection: which container or systemd unit sent a datagram.
 *
 * <p>In: the sender's pid, from the credentials the kernel attaches to each datagram. Out: a tag,
 * {@code container_id:<id>} for a process in a container (docker, containerd, CRI-O, podman,
 * Kubernetes pods) or {@code systemd_unit:<unit>} for one in a systemd service, read from
 * {@code /proc/<pid>/cgroup} (cgroup v1 and v2) and cached per pid for a short time.
 */
package io.udsink.collector.origin;
