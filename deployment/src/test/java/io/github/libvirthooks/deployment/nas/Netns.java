package io.github.libvirthooks.deployment.nas;

import io.github.libvirthooks.sysfs.exec.CommandException;
import io.github.libvirthooks.sysfs.exec.CommandResult;
import io.github.libvirthooks.sysfs.exec.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Two network namespaces joined by a veth pair, created by the test and removed after it: a
 * "host" side where the share server runs (standing in for a libvirt bridge) and a "guest" side
 * where the client runs. Nothing gets an address in this machine's own network namespace.
 *
 * @param server the namespace of the server
 * @param guest  the namespace of the client
 * @param serverAddress the server side's address on the veth link (/24)
 * @param guestAddress  the client side's address
 * @param otherAddress  a second address of the server side, on another subnet of the same link, where nothing may listen
 */
record Netns(String server, String guest, String serverAddress, String guestAddress, String otherAddress) {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final CommandRunner COMMANDS = CommandRunner.system();

    /** Why this machine cannot run the test, if it cannot: not root, or no {@code ip netns}. */
    static Optional<String> unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("not root: creating network namespaces needs root");
        }
        try {
            if (!COMMANDS.run(List.of("ip", "netns", "list"), TIMEOUT).succeeded()) {
                return Optional.of("'ip netns list' fails here");
            }
        } catch (CommandException e) {
            return Optional.of("no 'ip' command (apt-get install iproute2): " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Creates both namespaces and their links; on failure, removes what it made. */
    static Netns create(String prefix, int subnet) {
        Netns ns = new Netns(prefix + "-srv", prefix + "-gst", "10.231." + subnet + ".1", "10.231." + subnet + ".2",
                "10.232." + subnet + ".1");
        try {
            ns.ip("netns", "add", ns.server);
            ns.ip("netns", "add", ns.guest);
            ns.ip("-n", ns.server, "link", "add", "vs", "type", "veth", "peer", "name", "vg", "netns", ns.guest);
            ns.ip("-n", ns.server, "addr", "add", ns.serverAddress + "/24", "dev", "vs");
            ns.ip("-n", ns.guest, "addr", "add", ns.guestAddress + "/24", "dev", "vg");
            // A second subnet on the same link: the guest can reach the server's other address, where nothing may answer.
            ns.ip("-n", ns.server, "addr", "add", ns.otherAddress + "/24", "dev", "vs");
            ns.ip("-n", ns.guest, "addr", "add", ns.otherAddress.replaceAll("\\.1$", ".2") + "/24", "dev", "vg");
            for (String[] link : new String[][] {{ns.server, "lo"}, {ns.server, "vs"}, {ns.guest, "lo"}, {ns.guest, "vg"}}) {
                ns.ip("-n", link[0], "link", "set", link[1], "up");
            }
            return ns;
        } catch (RuntimeException e) {
            ns.delete();
            throw e;
        }
    }

    /** Runs {@code argv} inside {@code namespace}. */
    CommandResult exec(String namespace, String... argv) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(argv));
        return COMMANDS.run(full, TIMEOUT);
    }

    /** Kills whatever still runs inside the namespaces, then removes them (the veth pair goes with them). */
    void delete() {
        for (String namespace : List.of(server, guest)) {
            try {
                CommandResult pids = COMMANDS.run(List.of("ip", "netns", "pids", namespace), TIMEOUT);
                List<String> argv = new ArrayList<>(List.of("kill", "-KILL", "--"));
                pids.stdout().lines().filter(l -> l.matches("[0-9]+")).forEach(argv::add);
                if (argv.size() > 3) {
                    COMMANDS.run(argv, TIMEOUT);
                }
                COMMANDS.run(List.of("ip", "netns", "del", namespace), TIMEOUT);
            } catch (CommandException e) {
                System.err.println("cleanup of network namespace " + namespace + " failed: " + e.getMessage());
            }
        }
    }

    private void ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        COMMANDS.run(argv, TIMEOUT).orThrow();
    }
}
