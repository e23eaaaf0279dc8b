package dev.byoos.worker.builder.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The only way out of a package installation's sandbox: an HTTP proxy on a Unix socket that lets
 * through plain HTTP requests and CONNECT tunnels to the allowed mirror hosts, and answers 403 to
 * anything else. It runs in the worker (which resolves the names), so the sandbox needs no DNS and
 * no route anywhere; nothing in a spec widens the list. Behind an organisation's proxy
 * ({@code byoos.worker.packages.proxy}) it reaches the allowed hosts through that one: CONNECT for
 * tunnels, absolute URLs for plain HTTP. One proxy per run, closed with it.
 */
final class MirrorProxy implements AutoCloseable {

    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int MAX_CONNECTIONS = 32;
    /** CR LF CR LF, the blank line after the headers. */
    private static final int END_OF_HEAD = 0x0d0a0d0a;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** Request headers that describe the hop to the proxy, not the request: never forwarded. */
    private static final Set<String> HOP_HEADERS = Set.of("connection", "proxy-connection", "keep-alive",
            "proxy-authorization", "te", "trailer", "upgrade", "host");

    private final Path socket;
    private final ServerSocketChannel server;
    private final Predicate<String> hostAllowed;
    private final Function<String, Optional<InetSocketAddress>> upstreamProxy;
    private final Consumer<String> refusals;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    private final Set<ByteChannel> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "mirror-proxy");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param socket      where to listen; created now, deleted on close
     * @param hostAllowed   whether a host (lower case) is an allowed mirror
     * @param upstreamProxy the organisation's proxy to reach a host (lower case) through, unresolved;
     *                      empty to connect to it directly
     * @param refusals      told of each request refused, for the build log
     */
    MirrorProxy(Path socket, Predicate<String> hostAllowed, Function<String, Optional<InetSocketAddress>> upstreamProxy,
            Consumer<String> refusals) throws IOException {
        this.socket = socket;
        this.hostAllowed = hostAllowed;
        this.upstreamProxy = upstreamProxy;
        this.refusals = refusals;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        threads.execute(this::accept);
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                if (!connections.tryAcquire()) {
                    client.close();
                    continue;
                }
                open.add(client);
                threads.execute(() -> {
                    try {
                        serve(client);
                    } catch (IOException e) {
                        // The sandbox hung up, or the mirror did: the package manager reports it.
                    } finally {
                        close(client);
                        connections.release();
                    }
                });
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel client) throws IOException {
        String head = readHead(client);
        String[] lines = head.split("\r\n");
        String[] request = lines[0].split(" ");
        if (request.length != 3) {
            answer(client, 400, "Bad Request", "byoos mirror proxy: malformed request line");
            return;
        }
        String method = request[0];
        if (method.equals("CONNECT")) {
            tunnel(client, request[1]);
        } else if (method.equals("GET") || method.equals("HEAD")) {
            forward(client, method, request[1], lines);
        } else {
            answer(client, 405, "Method Not Allowed", "byoos mirror proxy: only GET, HEAD and CONNECT reach a mirror");
        }
    }

    private void tunnel(SocketChannel client, String authority) throws IOException {
        int colon = authority.lastIndexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        int port;
        try {
            port = colon < 0 ? 443 : Integer.parseInt(authority.substring(colon + 1));
        } catch (NumberFormatException e) {
            answer(client, 400, "Bad Request", "byoos mirror proxy: bad CONNECT target " + authority);
            return;
        }
        if (!allowed(client, host)) {
            return;
        }
        Optional<InetSocketAddress> via = upstreamProxy.apply(name(host));
        try (SocketChannel upstream = via.isPresent() ? connect(via.get().getHostString(), via.get().getPort())
                : connect(host, port)) {
            if (via.isPresent() && !tunnelThrough(upstream, client, host + ":" + port)) {
                return;
            }
            write(client, "HTTP/1.1 200 Connection established\r\n\r\n");
            Thread back = new Thread(() -> relay(upstream, client), "mirror-proxy-tunnel");
            back.setDaemon(true);
            back.start();
            relay(client, upstream);
            try {
                back.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void forward(SocketChannel client, String method, String target, String[] lines) throws IOException {
        URI uri;
        try {
            uri = new URI(target);
        } catch (URISyntaxException e) {
            answer(client, 400, "Bad Request", "byoos mirror proxy: " + target + " is not a URL");
            return;
        }
        if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getRawUserInfo() != null) {
            answer(client, 400, "Bad Request", "byoos mirror proxy: expected an absolute http URL, got " + target);
            return;
        }
        if (!allowed(client, uri.getHost())) {
            return;
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        Optional<InetSocketAddress> via = upstreamProxy.apply(name(uri.getHost()));
        // A proxy takes the absolute URL (origin included), a server the path alone.
        StringBuilder upstreamRequest = new StringBuilder(method).append(' ')
                .append(via.isPresent() ? "http://" + uri.getRawAuthority() : "")
                .append(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                .append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()).append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getHost()).append(uri.getPort() < 0 ? "" : ":" + port).append("\r\n");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && !HOP_HEADERS.contains(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT))) {
                upstreamRequest.append(lines[i]).append("\r\n");
            }
        }
        // One request per connection: the response then ends where the mirror closes.
        upstreamRequest.append("Connection: close\r\n\r\n");
        try (SocketChannel upstream = via.isPresent() ? connect(via.get().getHostString(), via.get().getPort())
                : connect(uri.getHost(), port)) {
            write(upstream, upstreamRequest.toString());
            relay(upstream, client);
        }
    }

    /**
     * Asks the organisation's proxy on {@code upstream} for a tunnel to {@code authority}.
     *
     * @return whether it opened one; if not, the client has been told (502) why
     */
    private boolean tunnelThrough(SocketChannel upstream, SocketChannel client, String authority) throws IOException {
        write(upstream, "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
        String status = readHead(upstream).split("\r\n")[0];
        String[] parts = status.split(" ");
        if (parts.length >= 2 && parts[1].equals("200")) {
            return true;
        }
        answer(client, 502, "Bad Gateway", "byoos mirror proxy: the proxy (byoos.worker.packages.proxy) refused a"
                + " tunnel to " + authority + ": " + status);
        return false;
    }

    private static String name(String host) {
        return host.toLowerCase(Locale.ROOT).replaceAll("^\\[|\\]$", "");
    }

    private boolean allowed(SocketChannel client, String host) throws IOException {
        String name = name(host);
        if (hostAllowed.test(name)) {
            return true;
        }
        refusals.accept("mirror proxy: refused " + name + ", not an allowed package mirror");
        answer(client, 403, "Forbidden", "byoos mirror proxy: " + name
                + " is not an allowed package mirror of this worker (byoos.worker.allowed-mirror-hosts)");
        return false;
    }

    private SocketChannel connect(String host, int port) throws IOException {
        SocketChannel upstream = SocketChannel.open();
        open.add(upstream);
        try {
            upstream.socket().connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
            return upstream;
        } catch (IOException e) {
            close(upstream);
            throw e;
        }
    }

    /** Copies until {@code from} ends, then ends {@code to}'s output so the other side sees the end too. */
    private static void relay(SocketChannel from, SocketChannel to) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (from.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // One side went away: the other learns it from its own read.
        }
    }

    /** The request line and headers, up to the blank line; no body is expected (GET, HEAD, CONNECT). */
    private static String readHead(SocketChannel client) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        int lastFour = 0;
        while (head.size() < MAX_HEADER_BYTES) {
            one.clear();
            if (client.read(one) < 0) {
                break;
            }
            head.write(one.get(0));
            lastFour = (lastFour << 8) | (one.get(0) & 0xff);
            if (lastFour == END_OF_HEAD) {
                byte[] bytes = head.toByteArray();
                return new String(bytes, 0, bytes.length - 4, StandardCharsets.ISO_8859_1);
            }
        }
        throw new IOException("request head missing or larger than " + MAX_HEADER_BYTES + " bytes");
    }

    private static void answer(SocketChannel client, int status, String reason, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        write(client, "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n");
        ByteBuffer buffer = ByteBuffer.wrap(body);
        while (buffer.hasRemaining()) {
            client.write(buffer);
        }
    }

    private static void write(SocketChannel channel, String text) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private void close(ByteChannel channel) {
        open.remove(channel);
        try {
            channel.close();
        } catch (IOException e) {
            // Closing anyway.
        }
    }

    /** Stops listening and cuts every connection still open, so no thread outlives the run. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // Closing anyway.
        }
        open.forEach(this::close);
        threads.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            // The socket file lives in the run's own temporary directory, removed with it.
        }
    }
}
