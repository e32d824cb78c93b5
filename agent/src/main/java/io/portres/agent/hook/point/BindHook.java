package io.portres.agent.hook.point;

import io.portres.agent.match.PolicyMatcher;
import net.bytebuddy.jar.asm.MethodVisitor;

import java.io.FileDescriptor;
import java.net.InetAddress;

/**
 * One hook point, whole: the JDK method it instruments (owner, name, descriptor, the oldest class file it applies
 * to), its edit of that method, and what the dispatcher does first with a bind that arrives from it
 * ({@link #admit}). One subclass per point ({@link NetBind} A, {@link LegacyTcpBind} B, {@link LegacyUdpBind} C,
 * {@link NetHooksConnect} D, {@link NetConnect} D', {@link DatagramImplicitBind} E, {@link ChannelBind} F); the
 * catalogue of them all is {@link HookPoint}.
 *
 * <p>Two shapes of edit, both straight-line (no branch, so no stack map frame is added or changed):
 * {@link NativeCallHook} replaces the method's one call of the JDK's native bind by a call of the bridge with the same
 * stack effect (the shape of Byte Buddy's {@code MemberSubstitution}); {@link EntryCallHook} calls the bridge at the
 * method's entry, where there is no bind call to replace.
 */
public abstract class BindHook {

    /** The class every edit calls: {@code bridge/}'s {@code sun.nio.ch.PortresBridge}, in java.base. */
    public static final String BRIDGE = "sun/nio/ch/PortresBridge";

    private final int site;
    private final String letter;
    private final String owner;
    private final String method;
    private final String descriptor;
    /** The oldest class-file major version the point applies to (0: any); from the class itself, not the JVM. */
    private final int minClassFileVersion;

    BindHook(int site, String letter, String owner, String method, String descriptor, int minClassFileVersion) {
        this.site = site;
        this.letter = letter;
        this.owner = owner;
        this.method = method;
        this.descriptor = descriptor;
        this.minClassFileVersion = minClassFileVersion;
    }

    /** The site number the edit passes to the bridge ({@link Sites}). */
    public final int site() {
        return site;
    }

    /** The letter of the docs: A, B, C, D, D', E, F. */
    public final String letter() {
        return letter;
    }

    /** Internal name of the hooked class. */
    public final String owner() {
        return owner;
    }

    public final String method() {
        return method;
    }

    public final String descriptor() {
        return descriptor;
    }

    /**
     * Whether the point applies to a class of {@link #owner} with this shape: by default, when the method is there
     * exactly so and the class file is recent enough; a point may ask more of the class.
     */
    public boolean appliesTo(ClassShape cls) {
        return cls.hasMethod(method, descriptor) && cls.majorVersion() >= minClassFileVersion;
    }

    /** Wraps the writer of the hooked method with this point's edit. */
    public abstract MethodVisitor edit(MethodVisitor writer, ClassShape cls);

    /** "name+descriptor" of the bridge method the edit calls. */
    public abstract String bridgeCall();

    /** "owner.name+descriptor" of the native bind call the edit replaces, or null (an entry call). */
    public String nativeCall() {
        return null;
    }

    /**
     * The dispatcher's first question for a bind that arrives from this point ({@code PortresBridge.before}): null
     * when no rule of the policy can match it (the bind goes on untouched, nothing allocated), else what the point
     * knows of it. Only A, B, C, D and D' send binds to the dispatcher; E binds through A, F only marks a channel.
     */
    public Admission admit(PolicyMatcher matcher, FileDescriptor fd, InetAddress address, int port) {
        return null;
    }
}
