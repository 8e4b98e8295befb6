import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import SettingsDialog from './SettingsDialog.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { PrintSettings } from '@/bindings/PrintSettings'
import type { SyncStatus } from '@/bindings/SyncStatus'
import type { EnrolInput } from './LedgerSettings.vue'

const STORED: PrintSettings = { printer: 'counter-1', paper: 'a4' }

const NOT_ENROLLED: SyncStatus = {
  enrolled: false,
  ledger_url: null,
  last_success: null,
  last_attempt: null,
  waiting: 4,
  last_error: null,
  consecutive_failures: 0,
  cursor: '',
  flagged: 0,
}
const ENROLLED: SyncStatus = { ...NOT_ENROLLED, enrolled: true, ledger_url: 'https://ledger.example.cn:8443/' }

type EnrolFn = (input: EnrolInput) => Promise<SyncStatus>

function setup(
  canEdit: boolean,
  save = vi.fn(async (s: PrintSettings) => s),
  { canEnrol = false, sync = NOT_ENROLLED, enrol = vi.fn<EnrolFn>(async () => ENROLLED) } = {},
) {
  const wrapper = mount(SettingsDialog, {
    props: { canEdit, load: async () => STORED, save, canEnrol, loadSync: async () => sync, enrol },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
  return { wrapper, save, enrol }
}

afterEach(() => {
  document.body.innerHTML = ''
})

describe('SettingsDialog', () => {
  it('is read-only for a cashier, with a note, and saves nothing', async () => {
    const { wrapper, save } = setup(false)
    await flushPromises()
    const printer = wrapper.get('[data-testid="settings-printer"]')
    expect((printer.element as HTMLInputElement).value).toBe('counter-1')
    expect((printer.element as HTMLInputElement).disabled).toBe(true)
    const papers = wrapper.findAll('[data-testid="settings-paper"] input[type="radio"]')
    expect(papers).toHaveLength(3)
    for (const radio of papers) expect((radio.element as HTMLInputElement).disabled).toBe(true)
    expect(wrapper.get('[data-testid="settings-read-only"]').text()).toBe('只有值班长或系统管理员可以修改打印设置')
    expect(wrapper.find('[data-testid="settings-save"]').exists()).toBe(false)
    await printer.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(save).not.toHaveBeenCalled()
    expect(wrapper.find('[data-testid="language-switch"]').exists()).toBe(true)
  })

  it('a supervisor changes the printer and the paper and saves', async () => {
    const { wrapper, save } = setup(true)
    await flushPromises()
    expect(wrapper.find('[data-testid="settings-read-only"]').exists()).toBe(false)
    await wrapper.get('[data-testid="settings-printer"]').setValue('  counter-test ')
    await wrapper.get('[data-testid="settings-paper-a5"] input').setValue(true)
    await wrapper.get('[data-testid="settings-save"]').trigger('click')
    await flushPromises()
    expect(save).toHaveBeenCalledWith({ printer: 'counter-test', paper: 'a5' })
    expect(wrapper.get('[data-testid="settings-saved"]').text()).toBe('已保存')
  })

  it('an empty printer name is saved as no printer', async () => {
    const { wrapper, save } = setup(true)
    await flushPromises()
    await wrapper.get('[data-testid="settings-printer"]').setValue('')
    await wrapper.get('[data-testid="settings-printer"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(save).toHaveBeenCalledWith({ printer: null, paper: 'a4' })
  })
})

describe('SettingsDialog → 账务中心', () => {
  const admin = (enrol = vi.fn<EnrolFn>(async () => ENROLLED), sync = NOT_ENROLLED) =>
    setup(true, undefined, { canEnrol: true, sync, enrol })

  it('shows the state to everyone, and the enrol form to nobody but an administrator', async () => {
    const { wrapper, enrol } = setup(true, undefined, { canEnrol: false })
    await flushPromises()
    expect(wrapper.get('[data-testid="ledger-state"]').text()).toBe('未接入账务中心（同步未开启）')
    expect(wrapper.get('[data-testid="ledger-admin-only"]').text()).toBe('只有系统管理员可以注册终端')
    expect(wrapper.find('[data-testid="ledger-url"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="ledger-code"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="ledger-enrol"]').exists()).toBe(false)
    expect(enrol).not.toHaveBeenCalled()
  })

  it('checks the URL and the code before sending anything', async () => {
    const { wrapper, enrol } = admin()
    await flushPromises()
    await wrapper.get('[data-testid="ledger-enrol"]').trigger('click')
    expect(wrapper.get('[data-testid="ledger-invalid"]').text()).toContain('http:// 或 https://')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="ledger-url"]').element)
    await wrapper.get('[data-testid="ledger-url"]').setValue('ledger.example.cn')
    await wrapper.get('[data-testid="ledger-enrol"]').trigger('click')
    expect(wrapper.get('[data-testid="ledger-invalid"]').text()).toContain('http:// 或 https://')
    await wrapper.get('[data-testid="ledger-url"]').setValue('https://ledger.example.cn:8443')
    expect(wrapper.find('[data-testid="ledger-invalid"]').exists()).toBe(false)
    await wrapper.get('[data-testid="ledger-code"]').setValue('   ')
    await wrapper.get('[data-testid="ledger-code"]').trigger('keydown', { key: 'Enter' })
    expect(wrapper.get('[data-testid="ledger-invalid"]').text()).toBe('请填写注册码')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="ledger-code"]').element)
    await flushPromises()
    expect(enrol).not.toHaveBeenCalled()
  })

  it('enrols with the trimmed URL and code (Enter from the keyboard), then forgets the code', async () => {
    const { wrapper, enrol } = admin()
    await flushPromises()
    const url = wrapper.get('[data-testid="ledger-url"]')
    await url.setValue(' https://ledger.example.cn:8443 ')
    await url.trigger('keydown', { key: 'Enter' })
    expect(document.activeElement).toBe(wrapper.get('[data-testid="ledger-code"]').element)
    await wrapper.get('[data-testid="ledger-code"]').setValue(' K7Q2-M9XD ')
    await wrapper.get('[data-testid="ledger-code"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(enrol).toHaveBeenCalledTimes(1)
    expect(enrol).toHaveBeenCalledWith({ url: 'https://ledger.example.cn:8443', code: 'K7Q2-M9XD' })
    expect(wrapper.get('[data-testid="ledger-enrolled"]').text()).toBe('本终端已注册，开始在后台同步')
    expect(wrapper.get('[data-testid="ledger-state"]').text()).toBe('已接入 https://ledger.example.cn:8443/')
    expect((wrapper.get('[data-testid="ledger-code"]').element as HTMLInputElement).value).toBe('')
    expect(wrapper.emitted('enrolled')).toEqual([[ENROLLED]])
  })

  it("shows the core's refusal in Chinese, by its code", async () => {
    const refuse = (code: string) =>
      vi.fn<EnrolFn>(async () => {
        throw new ApiError({ code, message: 'english', params: {} })
      })
    for (const [code, words] of [
      ['FORBIDDEN', '当前角色无权进行此操作'],
      ['SYNC_UNAUTHORIZED', '注册码无效或已用过'],
      ['SYNC_OFFLINE', '无法连接账务中心'],
      ['SYNC_KEYRING', '密钥环'],
    ] as const) {
      const { wrapper } = admin(refuse(code))
      await flushPromises()
      await wrapper.get('[data-testid="ledger-url"]').setValue('http://10.0.0.5:8080')
      await wrapper.get('[data-testid="ledger-code"]').setValue('ONE-TIME')
      await wrapper.get('[data-testid="ledger-enrol"]').trigger('click')
      await flushPromises()
      const error = wrapper.get('[data-testid="ledger-error"]').text()
      expect(error, code).toContain(words)
      expect(error).not.toContain('english')
      expect(wrapper.find('[data-testid="ledger-enrolled"]').exists()).toBe(false)
      expect((wrapper.get('[data-testid="ledger-code"]').element as HTMLInputElement).value, 'kept to retry').toBe('ONE-TIME')
      wrapper.unmount()
    }
  })

  it('an enrolled terminal shows its ledger and proposes it again', async () => {
    const { wrapper } = admin(undefined, ENROLLED)
    await flushPromises()
    expect(wrapper.get('[data-testid="ledger-state"]').text()).toBe('已接入 https://ledger.example.cn:8443/')
    expect((wrapper.get('[data-testid="ledger-url"]').element as HTMLInputElement).value).toBe('https://ledger.example.cn:8443/')
    expect(wrapper.text()).toContain('重新注册会替换本终端的令牌')
  })
})
