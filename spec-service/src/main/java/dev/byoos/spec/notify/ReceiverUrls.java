package dev.byoos.spec.notify;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.byoos.spec.validation.HostPolicy;

/**
 * Which URLs a subscription may make spec-service POST to. A subscription is written by a team, so
 * like a spec it must never make the service reach an internal address: unless its host is
 * allow-listed ({@code byoos.spec.notifications.allowed-hosts}), a URL must be https and every
 * address its host resolves to must be public. Checked when the subscription is created and again
 * before every attempt, so a name that later resolves inward (DNS rebinding) is not followed.
 */
public final class ReceiverUrls {

    private final HostPolicy allowed;

    public ReceiverUrls(List<String> allowedHosts) {
        this.allowed = new HostPolicy(allowedHosts);
    }

    /** Why {@code url} may not receive notifications now, or empty when it may. */
    public Optional<String> refusal(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException | NullPointerException e) {
            return Optional.of("'" + url + "' is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!List.of("https", "http").contains(scheme) || uri.getHost() == null) {
            return Optional.of("must be an absolute https URL with a host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            return Optional.of("must carry neither credentials nor a fragment; deliveries are signed instead");
        }
        String host = uri.getHost().replaceAll("^\\[|\\]$", "");
        if (allowed.allows(host)) {
            return Optional.empty();
        }
        if (!scheme.equals("https")) {
            return Optional.of("must be https; http only for hosts in byoos.spec.notifications.allowed-hosts "
                    + allowed.allowed());
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return Optional.of("host '" + host + "' does not resolve");
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address)) {
                return Optional.of("host '" + host + "' resolves to " + address.getHostAddress()
                        + ", an internal address; only hosts in byoos.spec.notifications.allowed-hosts "
                        + allowed.allowed() + " may");
            }
        }
        return Optional.empty();
    }

    /** Not the machine itself, a private network, a link (cloud metadata) or a multicast group. */
    static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address) {
            // fc00::/7, unique local addresses: IPv6's private networks, which isSiteLocalAddress misses.
            return (bytes[0] & 0xfe) != 0xfc;
        }
        int first = bytes[0] & 0xff;
        int second = bytes[1] & 0xff;
        // 0.0.0.0/8 (this network) and 100.64.0.0/10 (carrier-grade NAT, often internal in clouds).
        return first != 0 && !(first == 100 && second >= 64 && second < 128);
    }
}
