package dev.byoos.pack.render;

import java.util.Arrays;

/** The Palette OS pack a rendered pack stands in for; it decides the values.yaml layout and the Kubernetes pairing. */
public enum PackKind {
    /**
     * Bring Your Own OS for cloud and data-centre clusters: {@code pack.osImageOverride/osName/osVersion}.
     * Their Kubernetes layer is Palette eXtended Kubernetes, pack {@code kubernetes}.
     */
    GENERIC_BYOI("generic-byoi", "kubernetes"),
    /**
     * Bring Your Own OS for Palette Edge: the OS is an OCI image ({@code options.system.uri}). The
     * native builder installs upstream kubeadm node components, which on Edge is Palette eXtended
     * Kubernetes - Edge, pack {@code edge-k8s}.
     */
    EDGE_NATIVE_BYOI("edge-native-byoi", "edge-k8s");

    private final String paletteName;
    private final String kubernetesPack;

    PackKind(String paletteName, String kubernetesPack) {
        this.paletteName = paletteName;
        this.kubernetesPack = kubernetesPack;
    }

    /** The name of Palette's own pack of this kind. */
    public String paletteName() {
        return paletteName;
    }

    /** The Palette Kubernetes pack (layer {@code k8s}) an image of this kind is built for. */
    public String kubernetesPack() {
        return kubernetesPack;
    }

    /** @throws IllegalArgumentException for a name no kind has */
    public static PackKind ofPaletteName(String paletteName) {
        return Arrays.stream(values()).filter(kind -> kind.paletteName.equals(paletteName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no pack kind named " + paletteName));
    }
}
