// Unit tests: Element Plus's dialog renders its content a tick after it is mounted (and moves the
// focus with its trap), which every component test of a dialog would have to wait for. Here it is
// a plain frame that renders its slots at once; ModalFrame.test.ts mounts the real one to test
// what it is there for (the focus trap), and the end-to-end tests run it in Chromium.
import { config } from '@vue/test-utils'
import { defineComponent, h } from 'vue'

const DialogStub = defineComponent({
  name: 'ElDialogStub',
  inheritAttrs: false,
  props: { title: { type: String, default: '' } },
  setup(props, { slots, attrs }) {
    return () => h('div', { ...attrs, role: 'dialog', 'aria-modal': 'true', 'aria-label': props.title }, [slots.header?.(), slots.default?.()])
  },
})

config.global.stubs = { ...config.global.stubs, ElDialog: DialogStub }
