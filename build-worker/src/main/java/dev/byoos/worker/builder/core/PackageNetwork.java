package dev.byoos.worker.builder.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How builds reach package mirrors from inside an organisation's network
 * ({@code byoos.worker.packages.*}): through its HTTP proxy, trusting its CAs (a TLS-intercepting
 * proxy's, an internal mirror's). Both hold while packages are downloaded (debootstrap, the
 * Release file, apt-get and dnf in the image) and are never written into an image: a spec that
 * wants a CA in its image says so itself ({@code customizations.caCertificates}).
 *
 * @param proxy          the proxy every mirror connection goes through ({@code http://host:port}), if any
 * @param noProxy        hosts reached directly all the same (exact names, lower case)
 * @param caCertificates the extra CAs' PEM text, empty for none
 */
public record PackageNetwork(Optional<URI> proxy, Set<String> noProxy, String caCertificates) {

    /** Where a Debian-family worker keeps the CAs it trusts itself: the base of every bundle handed to a tool. */
    static final Path HOST_CA_BUNDLE = Path.of("/etc/ssl/certs/ca-certificates.crt");
    private static final String PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----";

    public PackageNetwork {
        proxy.ifPresent(PackageNetwork::checkProxy);
        noProxy = noProxy.stream().map(host -> host.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** No proxy, no extra CAs: what a worker on an open network uses. */
    public static PackageNetwork direct() {
        return new PackageNetwork(Optional.empty(), Set.of(), "");
    }

    /**
     * @param caFiles PEM files of CA certificates
     * @throws IllegalArgumentException when the proxy is not {@code http://host:port} or a file holds no certificate
     */
    public static PackageNetwork of(Optional<URI> proxy, Collection<String> noProxy, List<Path> caFiles) {
        StringBuilder pem = new StringBuilder();
        for (Path file : caFiles) {
            String content;
            try {
                content = Files.readString(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read byoos.worker.packages.ca-certificates file " + file, e);
            }
            if (!content.contains(PEM_CERTIFICATE)) {
                throw new IllegalArgumentException("byoos.worker.packages.ca-certificates: " + file
                        + " holds no PEM certificate");
            }
            pem.append(content.endsWith("\n") ? content : content + "\n");
        }
        return new PackageNetwork(proxy, Set.copyOf(noProxy), pem.toString());
    }

    /** @return the proxy to reach {@code host} through, unresolved; empty to connect directly */
    public Optional<InetSocketAddress> proxyFor(String host) {
        if (noProxy.contains(host.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        return proxy.map(uri -> InetSocketAddress.createUnresolved(uri.getHost(), uri.getPort()));
    }

    /** {@link #proxyFor} for the JDK's HTTP client. */
    public ProxySelector proxySelector() {
        return new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                return List.of(proxyFor(uri.getHost()).map(address -> new Proxy(Proxy.Type.HTTP, address))
                        .orElse(Proxy.NO_PROXY));
            }

            @Override
            public void connectFailed(URI uri, SocketAddress address, IOException failure) {
                // The request fails with the connection's error; nothing to choose instead.
            }
        };
    }

    /** The extra CAs as a trust store, for the JDK's TLS. */
    public KeyStore trustStore() {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int index = 0;
            for (Certificate certificate : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(caCertificates.getBytes(StandardCharsets.US_ASCII)))) {
                store.setCertificateEntry("ca-" + index++, certificate);
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("byoos.worker.packages.ca-certificates: not PEM certificates: " + e, e);
        }
    }

    public boolean hasCaCertificates() {
        return !caCertificates.isEmpty();
    }

    /**
     * The CAs the worker machine trusts followed by the extra ones: for tools that take one bundle
     * in place of their default (apt's CaInfo, dnf's sslcacert), so public mirrors stay trusted.
     * The worker's bundle, never the image's: an image's file may be a link to anywhere.
     */
    public String trustBundle() {
        String host = "";
        if (Files.isRegularFile(HOST_CA_BUNDLE)) {
            try {
                host = Files.readString(HOST_CA_BUNDLE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the worker's CA bundle " + HOST_CA_BUNDLE, e);
            }
        }
        return (host.isEmpty() || host.endsWith("\n") ? host : host + "\n") + caCertificates;
    }

    private static void checkProxy(URI proxy) {
        if (!"http".equalsIgnoreCase(proxy.getScheme()) || proxy.getHost() == null || proxy.getPort() < 0
                || proxy.getUserInfo() != null || !(proxy.getPath() == null || proxy.getPath().isEmpty()
                        || proxy.getPath().equals("/"))) {
            // The value itself is not repeated: it may hold credentials.
            throw new IllegalArgumentException("byoos.worker.packages.proxy must be http://host:port, without"
                    + " credentials or a path");
        }
    }
}
