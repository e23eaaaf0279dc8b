package dev.byoos.worker.builder.base;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS context of tarball downloads when the operator names CAs of their own: a server is
 * trusted when the Java runtime's CAs vouch for it (public mirrors keep working) or the extra CAs
 * do (an internal server behind a private CA). The extra CAs arrive as a trust store the worker's
 * TLS configuration {@code byoos-downloads} loaded (Quarkus reads the PEM files).
 */
public final class DownloadTrust {

    private DownloadTrust() {
    }

    /** @param extraCas the CAs trusted on top of the Java runtime's own */
    public static SSLContext trustingAlso(KeyStore extraCas) {
        try {
            X509TrustManager either = new EitherTrustManager(trustManager(null), trustManager(extraCas));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {either}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for tarball downloads: " + e, e);
        }
    }

    /** @param trusted the certificates to trust; null for the Java runtime's default trust store */
    private static X509TrustManager trustManager(KeyStore trusted) throws GeneralSecurityException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) {
                return x509;
            }
        }
        throw new IllegalStateException("the Java runtime has no X.509 trust manager");
    }

    /** Trusts what either manager trusts; host names are still checked by the HTTP client. */
    private record EitherTrustManager(X509TrustManager runtime, X509TrustManager extra) implements X509TrustManager {

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkWithEither(manager -> manager.checkServerTrusted(chain, authType));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkWithEither(manager -> manager.checkClientTrusted(chain, authType));
        }

        private void checkWithEither(TrustCheck check) throws CertificateException {
            try {
                check.with(runtime);
            } catch (CertificateException notByTheRuntime) {
                check.with(extra);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return Stream.concat(Stream.of(runtime.getAcceptedIssuers()), Stream.of(extra.getAcceptedIssuers()))
                    .toArray(X509Certificate[]::new);
        }
    }

    @FunctionalInterface
    private interface TrustCheck {
        void with(X509TrustManager manager) throws CertificateException;
    }
}
