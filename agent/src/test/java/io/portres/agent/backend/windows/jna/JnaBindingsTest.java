package io.portres.agent.backend.windows.jna;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.win32.StdCallLibrary;
import io.portres.agent.backend.windows.WinErrors;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/** Pins the ABI facts of mstcpip.h and winerror.h that the bindings depend on. */
class JnaBindingsTest {

    @Test
    void ioctlCodesAreThoseOfMstcpip() {
        // _WSAIOW(IOC_VENDOR, n) = IOC_IN | IOC_VENDOR | n = 0x80000000 | 0x18000000 | n
        assertThat(Ws2_32.SIO_ACQUIRE_PORT_RESERVATION).isEqualTo(0x80000000 | 0x18000000 | 100);
        assertThat(Ws2_32.SIO_RELEASE_PORT_RESERVATION).isEqualTo(0x98000065);
        assertThat(Ws2_32.SIO_ASSOCIATE_PORT_RESERVATION).isEqualTo(0x98000066);
    }

    @Test
    void structureSizesAreThoseOfWindows() {
        assertThat(new PortReservation.INET_PORT_RANGE().size()).isEqualTo(4);
        assertThat(new PortReservation.INET_PORT_RESERVATION_TOKEN().size()).isEqualTo(8);
        assertThat(new PortReservation.INET_PORT_RESERVATION_INSTANCE().size()).isEqualTo(16);
    }

    @Test
    void theTokenOfAnInstanceSitsAtOffsetEight() {
        PortReservation.INET_PORT_RESERVATION_INSTANCE i = new PortReservation.INET_PORT_RESERVATION_INSTANCE();
        i.getPointer().setShort(0, JnaWinApi.htons(50000));
        i.getPointer().setShort(2, (short) 100);
        i.getPointer().setLong(8, 0x1122334455667788L);
        i.read();
        assertThat(JnaWinApi.ntohs(i.Reservation.StartPort)).isEqualTo(50000);
        assertThat(i.Reservation.NumberOfPorts).isEqualTo((short) 100);
        assertThat(i.Token.Token).isEqualTo(0x1122334455667788L);
    }

    @Test
    void startPortIsInNetworkByteOrder() {
        short s = JnaWinApi.htons(50000); // 0xC350
        ByteBuffer native_ = ByteBuffer.allocate(2).order(ByteOrder.nativeOrder());
        native_.putShort(s);
        assertThat(native_.array()).containsExactly((byte) 0xC3, (byte) 0x50);
        assertThat(JnaWinApi.ntohs(s)).isEqualTo(50000);
    }

    @Test
    void theSocketTypeIsPointerSized() {
        assertThat(new Ws2_32.SOCKET(0xFFFFFFFFL).longValue()).isEqualTo(0xFFFFFFFFL);
        assertThat(Native.getNativeSize(Ws2_32.SOCKET.class)).isEqualTo(Native.POINTER_SIZE);
    }

    @Test
    void onlyA32BitWindowsJvmCallsTheApiAsStdcall() {
        ClassLoader l = getClass().getClassLoader();
        assertThat(JnaWinApi.options(true, false, l)).containsEntry(Library.OPTION_CALLING_CONVENTION,
                StdCallLibrary.STDCALL_CONVENTION);
        assertThat(JnaWinApi.options(true, true, l)).doesNotContainKey(Library.OPTION_CALLING_CONVENTION);
        assertThat(JnaWinApi.options(false, true, l)).doesNotContainKey(Library.OPTION_CALLING_CONVENTION)
                .containsEntry(Library.OPTION_CLASSLOADER, l);
    }

    @Test
    void errorNamesAreWinsockAndWin32s() {
        assertThat(WinErrors.name(10013)).isEqualTo("WSAEACCES (10013)");
        assertThat(WinErrors.name(10022)).isEqualTo("WSAEINVAL (10022)");
        assertThat(WinErrors.name(1168)).isEqualTo("ERROR_NOT_FOUND (1168)");
        assertThat(WinErrors.name(32)).isEqualTo("ERROR_SHARING_VIOLATION (32)");
        assertThat(WinErrors.name(4242)).isEqualTo("error 4242");
    }
}
