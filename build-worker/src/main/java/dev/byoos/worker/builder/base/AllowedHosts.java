package dev.byoos.worker.builder.base;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import dev.byoos.worker.builder.core.BuildException;

/**
 * The hosts a build may make this worker contact for its base (debootstrap mirrors, tarball
 * downloads): {@code byoos.worker.allowed-mirror-hosts}. spec-service checks its own list; the worker
 * checks again because it is the one that connects, and a request may come from elsewhere.
 */
final class AllowedHosts {

    private final Set<String> hosts;

    AllowedHosts(Collection<String> hosts) {
        this.hosts = hosts.stream().map(host -> host.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * @param schemes     the schemes accepted, lower case
     * @param invalidCode the failure code of a URL that is not one with such a scheme, a host and no credentials
     * @param what        what the URL serves, for messages: {@code mirror}, {@code tarball}
     * @return {@code url}, parsed
     * @throws BuildException BAD_INPUT {@code invalidCode} or HOST_NOT_ALLOWED
     */
    URI checkedUrl(String url, Set<String> schemes, String invalidCode, String what) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, invalidCode, what + " '" + url + "' is not a URL", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!schemes.contains(scheme) || uri.getHost() == null || uri.getUserInfo() != null) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, invalidCode, what + " '" + url + "' must be an "
                    + String.join(" or ", schemes.stream().sorted().toList()) + " URL with a host and no credentials",
                    null);
        }
        require(uri.getHost(), what);
        return uri;
    }

    /**
     * @param what what the host serves, for the message: {@code mirror}, {@code tarball}
     * @return {@code host} in lower case
     * @throws BuildException BAD_INPUT HOST_NOT_ALLOWED when the host is not on the list
     */
    String require(String host, String what) {
        String lowerCase = host.toLowerCase(Locale.ROOT);
        if (!hosts.contains(lowerCase)) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "HOST_NOT_ALLOWED",
                    what + " host " + lowerCase + " is not allowed on this worker (byoos.worker.allowed-mirror-hosts: "
                            + hosts.stream().sorted().collect(Collectors.joining(", ")) + ")",
                    null);
        }
        return lowerCase;
    }
}
