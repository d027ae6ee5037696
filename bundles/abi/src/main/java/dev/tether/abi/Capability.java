package dev.tether.abi;

/** Capabilities: include/uapi/linux/capability.h. */
public final class Capability {
    /** {@code _LINUX_CAPABILITY_VERSION_3}: capget/capset with two 32-bit words per set. */
    public static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    /** {@code _LINUX_CAPABILITY_U32S_3}: {@code struct __user_cap_data_struct}s per capset call. */
    public static final int LINUX_CAPABILITY_U32S_3 = 2;
    /** Needed to drop capabilities from the bounding set (PR_CAPBSET_DROP). */
    public static final int CAP_SETPCAP = 8;

    private Capability() {
    }
}
