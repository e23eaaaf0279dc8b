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
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/** Free loopback TCP ports. */
final class Ports {

    static final String LOOPBACK = "127.0.0.1";

    private Ports() {
    }

    /**
     * Distinct ports that were free a moment ago. All sockets stay open until every port is
     * picked, so the kernel cannot hand out the same port twice.
     */
    static int[] free(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                sockets.add(socket);
                socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
                ports[i] = socket.getLocalPort();
            }
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
            if (ports.length == count && Arrays.stream(ports).allMatch(Ports::isFree)) {
                return ports;
            }
        }
        int[] ports = free(count);
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
