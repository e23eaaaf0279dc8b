package dev.byoos.devstack;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Properties;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Free loopback TCP ports. The stack's servers start side by side and each binds its ports only
 * seconds after it was given them (Kafka formats its log first), so a port the kernel hands out
 * again in that time would go to two servers: every port given out is remembered, and this process
 * gives none to two servers (a server restarted in the process gets its own ports back).
 */
final class Ports {

    static final String LOOPBACK = "127.0.0.1";

    /** Every port this process has given out, and the server directory it went to (none: {@link #free}). */
    private static final Map<Integer, Optional<Path>> GIVEN_OUT = new HashMap<>();

    private Ports() {
    }

    /**
     * Distinct ports that were free a moment ago and were never given out by this process. All
     * sockets stay open until every port is picked, so the kernel cannot hand out the same port
     * twice within one call.
     */
    static synchronized int[] free(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                int port;
                do {
                    ServerSocket socket = new ServerSocket();
                    sockets.add(socket);
                    socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
                    port = socket.getLocalPort();
                } while (GIVEN_OUT.containsKey(port));
                ports[i] = port;
            }
            Arrays.stream(ports).forEach(port -> GIVEN_OUT.put(port, Optional.empty()));
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    /**
     * Ports for one server of the stack, kept in its directory: the ones it had last time when they
     * are still free, otherwise new free ones, remembered in {@code ports.properties}. Stable
     * ports keep what the stack recorded valid across restarts (a published pack's reference
     * names the registry's address).
     */
    static synchronized int[] stable(Path serverDir, int count) throws IOException {
        Files.createDirectories(serverDir);
        Path file = serverDir.resolve("ports.properties");
        String server = "ports";
        Properties remembered = new Properties();
        if (Files.exists(file)) {
            try (Reader reader = Files.newBufferedReader(file)) {
                remembered.load(reader);
            }
        }
        String previous = remembered.getProperty(server);
        if (previous != null) {
            int[] ports = Arrays.stream(previous.split(",")).mapToInt(Integer::parseInt).toArray();
            // Its own ports again (a restart in this process), unless another server has one by now.
            boolean ours = Arrays.stream(ports).allMatch(port -> GIVEN_OUT.getOrDefault(port, Optional.of(serverDir))
                    .equals(Optional.of(serverDir)));
            if (ports.length == count && ours && Arrays.stream(ports).allMatch(Ports::isFree)) {
                Arrays.stream(ports).forEach(port -> GIVEN_OUT.put(port, Optional.of(serverDir)));
                return ports;
            }
        }
        int[] ports = free(count);
        Arrays.stream(ports).forEach(port -> GIVEN_OUT.put(port, Optional.of(serverDir)));
        remembered.setProperty(server, Arrays.stream(ports).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        try (Writer writer = Files.newBufferedWriter(file)) {
            remembered.store(writer, "loopback ports of the local stack, reused on restart while free");
        }
        return ports;
    }

    /** Whether nothing listens on the loopback port. */
    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
