package dev.byoos.worker.builder.base;

import java.io.ByteArrayOutputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.process.BuildCancellation;

/**
 * Reads a suite's current Release file from its mirror ({@code dists/<suite>/InRelease}, or
 * {@code Release} where the mirror has no signed one): its sha256 names the state of the suite, so a
 * base made before the suite's updates is not reused after them. The mirror is an attacker's server
 * as far as the worker knows: no redirects, at most {@link Settings#maxBytes()}, and the whole file
 * within the read timeout.
 */
public final class SuiteReleases {

    /**
     * @param tls      the TLS context instead of the Java runtime's default (extra CAs), if any
     * @param proxy    the HTTP proxy the worker reaches mirrors through, if any
     * @param maxBytes the largest Release file read; a Debian or Ubuntu one is a few hundred KiB
     */
    public record Settings(Optional<SSLContext> tls, Optional<ProxySelector> proxy, long maxBytes,
            Duration connectTimeout, Duration readTimeout) {
    }

    /**
     * @param url    where the Release file was read
     * @param sha256 its digest, lower-case hex
     * @param date   its {@code Date:} field, as the mirror wrote it, when it has one
     */
    public record Release(String url, String sha256, Optional<String> date) {
    }

    /** A Release file over 1 MiB is not one: Debian's and Ubuntu's are a few hundred KiB. */
    public static final long DEFAULT_MAX_BYTES = 1L << 20;
    private static final List<String> FILES = List.of("InRelease", "Release");
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private static final Pattern DATE = Pattern.compile("^Date: *(.{1,64})$", Pattern.MULTILINE);
    private static final Duration CANCELLATION_POLL = Duration.ofMillis(250);

    private final Settings settings;
    private final HttpClient client;

    public SuiteReleases(Settings settings) {
        this.settings = settings;
        HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(settings.connectTimeout());
        settings.tls().ifPresent(client::sslContext);
        settings.proxy().ifPresent(client::proxy);
        this.client = client.build();
    }

    /**
     * @param mirror an allowed mirror URL without a trailing slash (checked by the caller)
     * @param suite  a checked suite name
     * @throws BuildException BAD_INPUT SUITE_NOT_FOUND (neither file exists), RELEASE_REFUSED (another
     *                        4xx, or a redirect), RELEASE_TOO_LARGE; INFRASTRUCTURE DEBOOTSTRAP_FAILED
     *                        (connection, TLS, timeouts, 5xx: retried)
     */
    public Release current(String mirror, String suite, BuildLog log, BuildCancellation cancellation) {
        for (String file : FILES) {
            String url = mirror + "/dists/" + suite + "/" + file;
            HttpResponse<byte[]> response = get(url, cancellation);
            int status = response.statusCode();
            if (status == 404 || status == 410) {
                continue;
            }
            if (status != 200) {
                throw failed(url, status);
            }
            byte[] body = response.body();
            Matcher date = DATE.matcher(new String(body, StandardCharsets.UTF_8));
            Release release = new Release(url, Sha256.of(body), date.find() ? Optional.of(date.group(1).strip())
                    : Optional.empty());
            log.line("suite " + suite + " on " + mirror + ": " + file + " sha256 " + release.sha256() + ", Date "
                    + release.date().orElse("(none)"));
            return release;
        }
        throw new BuildException(BuildException.Kind.BAD_INPUT, "SUITE_NOT_FOUND", "suite " + suite + " does not exist on "
                + mirror + ": neither dists/" + suite + "/InRelease nor dists/" + suite + "/Release is there", null);
    }

    private BuildException failed(String url, int status) {
        if (REDIRECTS.contains(status)) {
            // A mirror is named exactly; following it elsewhere would bypass the host check.
            return new BuildException(BuildException.Kind.BAD_INPUT, "RELEASE_REFUSED", url + " redirects (HTTP "
                    + status + "); name the mirror it redirects to instead", null);
        }
        // 408 and 429 are the server asking to come back later, like a 5xx.
        if (status >= 400 && status < 500 && status != 408 && status != 429) {
            return new BuildException(BuildException.Kind.BAD_INPUT, "RELEASE_REFUSED",
                    "the mirror refused to serve " + url + " (HTTP " + status + ")", null);
        }
        return unreachable(url, "HTTP " + status, null);
    }

    private static BuildException unreachable(String url, String why, Throwable cause) {
        return new BuildException(BuildException.Kind.INFRASTRUCTURE, "DEBOOTSTRAP_FAILED",
                "reading " + url + " failed: " + why, cause);
    }

    /** The whole response within the read timeout, or until the build is cancelled. */
    private HttpResponse<byte[]> get(String url, BuildCancellation cancellation) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(settings.readTimeout()).GET().build();
        CompletableFuture<HttpResponse<byte[]>> response = client.sendAsync(request,
                info -> info.statusCode() == 200 ? new Bounded(settings.maxBytes(),
                        info.headers().firstValueAsLong("content-length").orElse(-1))
                        : HttpResponse.BodySubscribers.replacing(new byte[0]));
        long deadline = System.nanoTime() + settings.readTimeout().toNanos();
        try {
            while (true) {
                try {
                    return response.get(CANCELLATION_POLL.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (cancellation.isCancelled() || System.nanoTime() > deadline) {
                        response.cancel(true);
                        cancellation.throwIfCancelled();
                        throw unreachable(url, "no complete answer within " + settings.readTimeout(), null);
                    }
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TooLarge) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "RELEASE_TOO_LARGE", url + " is larger than "
                        + settings.maxBytes() + " bytes: not a Release file", null);
            }
            throw unreachable(url, String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            response.cancel(true);
            Thread.currentThread().interrupt();
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "INTERRUPTED", "build interrupted", e);
        }
    }

    private static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    /** Collects a body of at most {@code maxBytes}, failing (and hanging up) as soon as it is longer. */
    private static final class Bounded implements HttpResponse.BodySubscriber<byte[]> {

        private final long maxBytes;
        private final long declared;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        Bounded(long maxBytes, long declared) {
            this.maxBytes = maxBytes;
            this.declared = declared;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (declared > maxBytes) {
                tooLarge();
            } else {
                subscription.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                if (result.isDone()) {
                    return;
                }
                if (body.size() + (long) buffer.remaining() > maxBytes) {
                    tooLarge();
                    return;
                }
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                body.writeBytes(bytes);
            }
        }

        private void tooLarge() {
            subscription.cancel();
            result.completeExceptionally(new TooLarge());
        }

        @Override
        public void onError(Throwable failure) {
            result.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            result.complete(body.toByteArray());
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }
    }
}
