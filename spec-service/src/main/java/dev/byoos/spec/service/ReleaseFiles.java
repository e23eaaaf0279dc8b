package dev.byoos.spec.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.byoos.spec.validation.HostPolicy;

/**
 * Reads a debootstrap suite's {@code dists/<suite>/InRelease} from a spec's mirror, or its
 * {@code Release} when the mirror has no InRelease (404). The answer is treated as hostile: the
 * URL is checked against the current host policy first (a spec stored earlier may name a host no
 * longer allowed), redirects are not followed (they could lead to an internal address), the
 * connection and the whole answer are bounded in time, and the body in size. Only its digest and
 * its Date field are kept.
 */
final class ReleaseFiles {

    /** What the mirror's Release file is now: the sha256 of its bytes and its Date field (or null). */
    record Observed(String digest, String date) {
    }

    /** Why a mirror gave no observation; {@link #reason} tags the error metric. */
    static final class Unobservable extends Exception {

        private final String reason;

        Unobservable(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        Unobservable(String reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }

        String reason() {
            return reason;
        }
    }

    /** The Date field of the Release paragraph: one line, printable, cut short. */
    private static final Pattern DATE = Pattern.compile("(?m)^Date: ([\\x20-\\x7e]{1,100})\\s*$");

    private final HostPolicy hosts;
    private final Duration timeout;
    private final int maxBytes;
    private final HttpClient http;

    ReleaseFiles(HostPolicy hosts, Duration timeout, int maxBytes) {
        this.hosts = hosts;
        this.timeout = timeout;
        this.maxBytes = maxBytes;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
    }

    /** Blocking: call it off the event loop. */
    Observed observe(String mirror, String suite) throws Unobservable {
        URI base = checked(mirror);
        String dists = base.toString().replaceFirst("/+$", "") + "/dists/" + suite + "/";
        byte[] body = fetch(URI.create(dists + "InRelease"), true);
        if (body == null) {
            body = fetch(URI.create(dists + "Release"), false);
        }
        Matcher date = DATE.matcher(new String(body, 0, Math.min(body.length, 64 * 1024), StandardCharsets.ISO_8859_1));
        return new Observed(sha256(body), date.find() ? date.group(1).trim() : null);
    }

    private URI checked(String mirror) throws Unobservable {
        URI uri;
        try {
            uri = new URI(mirror);
        } catch (URISyntaxException e) {
            throw new Unobservable("bad-url", "mirror '" + mirror + "' is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getRawUserInfo() != null
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new Unobservable("bad-url", "mirror '" + mirror + "' is not an http(s) URL with a host and a path only");
        }
        if (!hosts.allows(uri.getHost())) {
            throw new Unobservable("host-not-allowed", "mirror host '" + uri.getHost()
                    + "' is no longer in byoos.spec.allowed-hosts; not contacted");
        }
        return uri;
    }

    /**
     * The body of a 200; null for a 404 when {@code absentIsNull}; anything else is unobservable.
     * The timeout bounds the whole answer, body included, so a mirror that trickles bytes is cut off.
     */
    private byte[] fetch(URI uri, boolean absentIsNull) throws Unobservable {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        CappedBody body = new CappedBody(maxBytes);
        CompletableFuture<HttpResponse<byte[]>> answer = http.sendAsync(request,
                info -> info.statusCode() == 200 ? body : HttpResponse.BodySubscribers.replacing(null));
        HttpResponse<byte[]> response;
        try {
            response = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            body.cancel();
            answer.cancel(true);
            throw new Unobservable("timeout", uri + ": no whole answer within " + timeout);
        } catch (ExecutionException e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof TooLarge) {
                    throw new Unobservable("too-large", uri + ": larger than " + maxBytes + " bytes"
                            + " (byoos.spec.watch.max-release-bytes)");
                }
                if (cause instanceof HttpTimeoutException) {
                    throw new Unobservable("timeout", uri + ": no answer within " + timeout);
                }
            }
            throw new Unobservable("unreachable", uri + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new Unobservable("unreachable", uri + ": interrupted", e);
        }
        int status = response.statusCode();
        if (status == 404 && absentIsNull) {
            return null;
        }
        if (status / 100 == 3) {
            throw new Unobservable("redirect", uri + ": answered " + status + " (redirects are not followed)");
        }
        if (status != 200) {
            throw new Unobservable("http-status", uri + ": answered " + status);
        }
        return response.body();
    }

    /** The body was cut off at the cap. */
    private static final class TooLarge extends IOException {
        TooLarge() {
            super("the answer is larger than the cap");
        }
    }

    /** Collects a body of at most {@code max} bytes, cancelling the stream as soon as it grows past it. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final int max;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private volatile Flow.Subscription subscription;

        CappedBody(int max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription given) {
            subscription = given;
            given.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                if (result.isDone()) {
                    return;
                }
                if (bytes.size() + buffer.remaining() > max) {
                    cancel();
                    result.completeExceptionally(new TooLarge());
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable failure) {
            result.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            result.complete(bytes.toByteArray());
        }

        void cancel() {
            Flow.Subscription given = subscription;
            if (given != null) {
                given.cancel();
            }
        }
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
