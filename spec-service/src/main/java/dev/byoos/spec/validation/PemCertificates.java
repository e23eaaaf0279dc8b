package dev.byoos.spec.validation;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;

/** Checks that a PEM text is exactly one X.509 CA certificate that is valid now. */
final class PemCertificates {

    private PemCertificates() {
    }

    /** @return why the PEM is not an acceptable CA certificate, or null when it is */
    static String problem(String pem, Clock clock) {
        if (!pem.strip().startsWith("-----BEGIN CERTIFICATE-----")) {
            return "must be a PEM certificate starting with -----BEGIN CERTIFICATE-----";
        }
        Collection<? extends java.security.cert.Certificate> certificates;
        try {
            certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException | RuntimeException e) {
            return "does not parse as an X.509 certificate";
        }
        if (certificates.size() != 1) {
            return "must hold exactly one certificate (found " + certificates.size() + "); list each one separately";
        }
        X509Certificate certificate = (X509Certificate) certificates.iterator().next();
        if (certificate.getBasicConstraints() < 0) {
            return "is not a CA certificate (basicConstraints CA:TRUE is missing); only CAs belong in the trust store";
        }
        if (certificate.getNotAfter().toInstant().isBefore(clock.instant())) {
            return "expired on " + certificate.getNotAfter().toInstant();
        }
        return null;
    }
}
