// The console UART of QEMU's mps2-an505 (qemu_m33): a CMSDK APB UART like the AN385's,
// but at the SSE-200's address (UART0, Secure alias 0x50200000). MicroPython's qemu port
// knows only the AN385's address; a board built with QEMU_SOC_AN505 gets its uart.c empty
// and these functions instead.

#if defined(QEMU_SOC_AN505)

#include <stdint.h>
#include <stddef.h>

#include "uart.h"

#define UART_STATE_TXFULL (1 << 0)
#define UART_STATE_RXFULL (1 << 1)
#define UART_CTRL_TX_EN (1 << 0)
#define UART_CTRL_RX_EN (1 << 1)

typedef struct {
    volatile uint32_t DATA;
    volatile uint32_t STATE;
    volatile uint32_t CTRL;
    volatile uint32_t INTSTATUS;
    volatile uint32_t BAUDDIV;
} an505_uart_t;

#define UART0 ((an505_uart_t *)0x50200000)

void uart_init(void) {
    UART0->BAUDDIV = 16;
    UART0->CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
}

int uart_rx_chr(void) {
    if (!(UART0->STATE & UART_STATE_RXFULL)) {
        return UART_RX_NO_CHAR;
    }
    return UART0->DATA;
}

void uart_tx_strn(const char *buf, size_t len) {
    for (size_t i = 0; i < len; ++i) {
        while (UART0->STATE & UART_STATE_TXFULL) {
        }
        UART0->DATA = buf[i];
    }
}

#endif // QEMU_SOC_AN505
