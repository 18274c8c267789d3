package io.github.libvirthooks.features.virtualnas;

import io.github.libvirthooks.sysfs.HostRoot;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The running processes, as far as the share server needs them: which ones run with our
 * configuration file, and whether one listens. Processes are real even when the host's files
 * are a test tree, so tests replace this whole table.
 */
interface ProcessTable {
    /** The live processes (not zombies) with {@code argument} among their arguments. */
    List<Long> withArgument(String argument);

    /** True when {@code pid}'s network namespace has a TCP socket listening on {@code address:port}. */
    boolean listens(long pid, Ipv4 address, int port);

    /** The real table: {@link ProcessHandle} for arguments, {@code /proc/PID/net/tcp} for sockets. */
    static ProcessTable system() {
        return new ProcessTable() {
            @Override
            public List<Long> withArgument(String argument) {
                return ProcessHandle.allProcesses()
                        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(argument)).orElse(false))
                        .filter(ProcessHandle::isAlive)
                        .map(ProcessHandle::pid)
                        .toList();
            }

            @Override
            public boolean listens(long pid, Ipv4 address, int port) {
                // /proc/PID/net/tcp is the table of the process's own network namespace.
                Optional<String> table;
                try {
                    table = HostRoot.system().readIfExists("/proc/" + pid + "/net/tcp");
                } catch (RuntimeException e) {
                    // A table too large to read (thousands of sockets) says nothing against the server: trust it is up.
                    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                }
                return table.map(t -> listensIn(t, address, port)).orElse(false);
            }
        };
    }

    /**
     * Reads a {@code /proc/net/tcp} table: local addresses are the 32-bit value in the
     * kernel's byte order, ports big-endian, state {@code 0A} is LISTEN.
     */
    static boolean listensIn(String table, Ipv4 address, int port) {
        int bits = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(address.bits()) : address.bits();
        String local = String.format(Locale.ROOT, "%08X:%04X", bits, port);
        for (String line : table.split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length > 3 && fields[1].equalsIgnoreCase(local) && fields[3].equals("0A")) {
                return true;
            }
        }
        return false;
    }
}
