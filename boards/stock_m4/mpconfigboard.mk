# A stock qemu-port board for QEMU's mps2-an386: a Cortex-M4 with the single-precision
# FPU, native-code architecture armv7emsp. The MPS2_AN385 board of the pinned port with
# another CPU; it contains no earshot code.
QEMU_ARCH = arm
QEMU_MACHINE = mps2-an386

CFLAGS += -mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M4F"'
# The pinned port's startup code leaves the FPU off (upstream enables it in Reset_Handler
# from v1.27 on): give CP10 and CP11 full access when the runtime starts, as v1.27 does.
CFLAGS += -DMICROPY_PORT_INIT_FUNC='(*(volatile unsigned long *)0xE000ED88 |= 0x00F00000UL)'

LDSCRIPT = mcu/arm/mps2.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o

MPY_CROSS_FLAGS += -march=armv7emsp

