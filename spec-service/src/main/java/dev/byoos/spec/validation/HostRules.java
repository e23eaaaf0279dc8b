package dev.byoos.spec.validation;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Where a spec may send the build workers: URLs without credentials, on hosts this installation
 * allows ({@code byoos.spec.allowed-hosts}).
 */
final class HostRules {

    private final HostPolicy hosts;

    HostRules(HostPolicy hosts) {
        this.hosts = hosts;
    }

    /** A URL whose host is allow-listed; {@code httpsOnly} for downloads verified only by their digest. */
    void url(String value, String pointer, boolean httpsOnly, Violations violations) {
        if (value == null) {
            return;
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            violations.add(pointer, Violation.INVALID_FORMAT, "'" + SpecSchema.abbreviate(value) + "' is not a URL");
            return;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        Set<String> schemes = httpsOnly ? Set.of("https") : Set.of("https", "http");
        if (!schemes.contains(scheme) || uri.getHost() == null) {
            violations.add(pointer, Violation.INVALID_FORMAT, "must be an absolute " + (httpsOnly ? "https" : "http(s)")
                    + " URL with a host");
            return;
        }
        if (uri.getRawUserInfo() != null) {
            violations.add(pointer, Violation.NOT_ALLOWED,
                    "must not carry credentials; workers get them from their configuration");
            return;
        }
        allowedHost(uri.getHost(), pointer, violations);
    }

    /** The registry of an image reference ({@code host[:port]/path...}) is allow-listed. */
    void imageReference(String reference, String pointer, Violations violations) {
        if (reference != null) {
            allowedHost(reference.substring(0, reference.indexOf('/')).replaceFirst(":[0-9]+$", ""), pointer, violations);
        }
    }

    private void allowedHost(String host, String pointer, Violations violations) {
        if (!hosts.allows(host)) {
            violations.add(pointer, Violation.HOST_NOT_ALLOWED, "host '" + SpecSchema.abbreviate(host)
                    + "' is not in the allow-list (byoos.spec.allowed-hosts: " + hosts.allowed()
                    + "); ask an operator to add a mirror");
        }
    }
}
