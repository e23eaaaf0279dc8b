package dev.byoos.worker.builder.base;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLContext;

import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;

/**
 * Downloads a file over https, and only https, from a host the worker allows, into a file while
 * computing its sha256. Redirects are followed by hand so that every hop is checked the same way:
 * https, and an allowed host. A download is bounded in size, in the time to connect, and in the
 * time without a byte arriving; a cancelled build stops it.
 */
public final class TarballDownloader {

    /**
     * @param tls         the TLS context downloads use instead of the Java runtime's default: for an
     *                    internal https server behind a private CA ({@link DownloadTrust})
     * @param maxBytes    the largest file downloaded; a larger one fails the build
     * @param readTimeout the longest wait for the response headers, or for the next bytes of the body
     */
    public record Settings(Optional<SSLContext> tls, long maxBytes, Duration connectTimeout, Duration readTimeout) {
    }

    static final int MAX_REDIRECTS = 5;
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final Set<Integer> GONE = Set.of(404, 410);
    private static final Duration CANCELLATION_POLL = Duration.ofMillis(250);
    /** Watches running downloads for silence and cancellation; the checks are tiny, one thread serves all. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "download-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private final Settings settings;
    private final AllowedHosts allowedHosts;
    private final HttpClient client;

    TarballDownloader(Settings settings, AllowedHosts allowedHosts) {
        this.settings = settings;
        this.allowedHosts = allowedHosts;
        HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(settings.connectTimeout());
        settings.tls().ifPresent(client::sslContext);
        this.client = client.build();
    }

    /**
     * @return {@code url} if it is an https URL on an allowed host, without credentials
     * @throws BuildException BAD_INPUT INVALID_TARBALL_URL or HOST_NOT_ALLOWED
     */
    URI checkedUrl(String url) {
        return allowedHosts.checkedUrl(url, Set.of("https"), "INVALID_TARBALL_URL", "tarball");
    }

    /**
     * Downloads {@code url} into {@code file}.
     *
     * @return the sha256 of what was downloaded, lower-case hex
     * @throws BuildException BAD_INPUT BASE_NOT_FOUND (404, 410), BASE_DOWNLOAD_REFUSED (other 4xx),
     *                        BASE_TOO_LARGE, INVALID_TARBALL_URL or HOST_NOT_ALLOWED (a redirect's
     *                        too); INFRASTRUCTURE BASE_DOWNLOAD_FAILED (connection, TLS, timeouts, 5xx)
     */
    String download(String url, Path file, BuildLog log, BuildCancellation cancellation) {
        URI current = checkedUrl(url);
        for (int redirects = 0;; redirects++) {
            HttpResponse<InputStream> response = send(url, current, cancellation);
            int status = response.statusCode();
            if (status == 200) {
                return save(url, response, file, log, cancellation);
            }
            discard(response);
            if (!REDIRECTS.contains(status)) {
                throw failed(url, status);
            }
            if (redirects == MAX_REDIRECTS) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_DOWNLOAD_REFUSED",
                        "tarball base " + url + ": more than " + MAX_REDIRECTS + " redirects", null);
            }
            String location = response.headers().firstValue("location").orElseThrow(() -> new BuildException(
                    BuildException.Kind.INFRASTRUCTURE, "BASE_DOWNLOAD_FAILED",
                    "tarball base " + url + ": HTTP " + status + " from " + response.uri() + " without a Location", null));
            current = checkedUrl(response.uri().resolve(location).toString());
            log.line("tarball base " + url + ": redirected to " + current);
        }
    }

    private static BuildException failed(String url, int status) {
        if (GONE.contains(status)) {
            return new BuildException(BuildException.Kind.BAD_INPUT, "BASE_NOT_FOUND",
                    "tarball base " + url + " does not exist (HTTP " + status + ")", null);
        }
        // 408 and 429 are the server asking to come back later, like a 5xx.
        if (status >= 400 && status < 500 && status != 408 && status != 429) {
            return new BuildException(BuildException.Kind.BAD_INPUT, "BASE_DOWNLOAD_REFUSED",
                    "the server refused to serve tarball base " + url + " (HTTP " + status + ")", null);
        }
        return new BuildException(BuildException.Kind.INFRASTRUCTURE, "BASE_DOWNLOAD_FAILED",
                "downloading tarball base " + url + " failed: HTTP " + status, null);
    }

    /** Sends the request, waiting for the response headers at most the read timeout, or until the build is cancelled. */
    private HttpResponse<InputStream> send(String url, URI uri, BuildCancellation cancellation) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(settings.readTimeout()).GET().build();
        CompletableFuture<HttpResponse<InputStream>> response = client.sendAsync(request,
                HttpResponse.BodyHandlers.ofInputStream());
        try {
            while (true) {
                try {
                    return response.get(CANCELLATION_POLL.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (cancellation.isCancelled()) {
                        response.cancel(true);
                        cancellation.throwIfCancelled();
                    }
                }
            }
        } catch (ExecutionException e) {
            throw unreachable(url, e.getCause());
        } catch (InterruptedException e) {
            response.cancel(true);
            Thread.currentThread().interrupt();
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
        }
    }

    private static BuildException unreachable(String url, Throwable cause) {
        return new BuildException(BuildException.Kind.INFRASTRUCTURE, "BASE_DOWNLOAD_FAILED",
                "downloading tarball base " + url + " failed: " + describe(cause), cause);
    }

    /** The HTTP client's exceptions often say nothing themselves (a bare ConnectException): their causes do. */
    private static String describe(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
                return failure.getClass().getSimpleName() + ": " + cause.getMessage();
            }
        }
        return failure.getClass().getSimpleName();
    }

    private String save(String url, HttpResponse<InputStream> response, Path file, BuildLog log,
            BuildCancellation cancellation) {
        long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
        if (declared > settings.maxBytes()) {
            discard(response);
            throw tooLarge(url, declared + " bytes");
        }
        MessageDigest digest = Sha256.digest();
        long received = 0;
        Watchdog watchdog = new Watchdog(response.body(), cancellation, settings.readTimeout());
        try (InputStream body = response.body(); OutputStream out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = body.read(buffer)) >= 0;) {
                watchdog.progressed();
                received += read;
                if (received > settings.maxBytes()) {
                    throw tooLarge(url, "more than " + settings.maxBytes() + " bytes");
                }
                digest.update(buffer, 0, read);
                out.write(buffer, 0, read);
            }
        } catch (IOException e) {
            watchdog.throwIfItStopped(url);
            throw unreachable(url, e);
        } finally {
            watchdog.stop();
        }
        // A body closed by the watchdog reads as its end: what arrived is not the whole file.
        watchdog.throwIfItStopped(url);
        if (declared >= 0 && received != declared) {
            throw unreachable(url, new IOException("the connection ended after " + received + " of " + declared
                    + " bytes"));
        }
        log.line("tarball base " + url + ": downloaded " + received + " bytes");
        return HexFormat.of().formatHex(digest.digest());
    }

    private BuildException tooLarge(String url, String size) {
        return new BuildException(BuildException.Kind.BAD_INPUT, "BASE_TOO_LARGE", "tarball base " + url + " is "
                + size + ", larger than this worker downloads (byoos.worker.downloads.max-bytes: " + settings.maxBytes() + ")",
                null);
    }

    private static void discard(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException e) {
            // Nothing more is read from it either way.
        }
    }

    /**
     * Closes a body that has been silent for the read timeout, or whose build was cancelled:
     * a blocked read returns then, so the build thread is never stuck on a stalled server.
     */
    private static final class Watchdog {

        private final InputStream body;
        private final BuildCancellation cancellation;
        private final Duration readTimeout;
        private final ScheduledFuture<?> check;
        private volatile long lastProgressNanos = System.nanoTime();
        private volatile boolean timedOut;

        Watchdog(InputStream body, BuildCancellation cancellation, Duration readTimeout) {
            this.body = body;
            this.cancellation = cancellation;
            this.readTimeout = readTimeout;
            long period = Math.min(CANCELLATION_POLL.toMillis(), Math.max(1, readTimeout.toMillis() / 4));
            this.check = WATCHDOG.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
        }

        void progressed() {
            lastProgressNanos = System.nanoTime();
        }

        private void check() {
            boolean silent = System.nanoTime() - lastProgressNanos > readTimeout.toNanos();
            if (silent || cancellation.isCancelled()) {
                timedOut = silent;
                discardQuietly();
            }
        }

        private void discardQuietly() {
            try {
                body.close();
            } catch (IOException e) {
                // Closing is all we wanted; a failing close has already stopped the body.
            }
        }

        void stop() {
            check.cancel(false);
        }

        /**
         * @throws BuildCancelledException if the watchdog closed the body for a cancelled build
         * @throws BuildException          INFRASTRUCTURE BASE_DOWNLOAD_FAILED if it closed a silent body
         */
        void throwIfItStopped(String url) {
            cancellation.throwIfCancelled();
            if (timedOut) {
                throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "BASE_DOWNLOAD_FAILED",
                        "downloading tarball base " + url + " failed: no data for " + readTimeout, null);
            }
        }
    }
}
