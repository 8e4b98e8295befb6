import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import SettingsDialog from './SettingsDialog.vue'
import { messages } from '@/i18n'
import { ApiError } from '@/api/call'
import type { PrintSettings } from '@/bindings/PrintSettings'
import type { Printed } from '@/bindings/Printed'
import type { Queues } from '@/bindings/Queues'
import type { SyncStatus } from '@/bindings/SyncStatus'
import type { Language } from '@/bindings/Language'
import type { EnrolInput } from './LedgerSettings.vue'
import type { UserInfo } from '@/bindings/UserInfo'
import type { UserListing } from '@/bindings/UserListing'
import type { UserAdmin } from './UserSettings.vue'
import type { CounterSettingsApi, CounterSettingsInput } from './CounterSettings.vue'

const STORED: PrintSettings = { printer: 'counter-1', paper: 'a4' }
const QUEUES: Queues = { names: ['counter-1', 'counter-test'], default: 'counter-test' }

/** The printer section's core: the stored settings, the computer's queues, a test page. */
function printerApi(save = vi.fn(async (s: PrintSettings) => s), stored: PrintSettings = STORED) {
  return {
    load: async () => stored,
    save,
    queues: vi.fn(async () => QUEUES),
    testPage: vi.fn(async (printer: string): Promise<Printed> => ({ receipt_no: '', printer, reprint: null })),
  }
}

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
  const printer = printerApi(save)
  const wrapper = mount(SettingsDialog, {
    props: { canEdit, printer, canEnrol, loadSync: async () => sync, enrol },
    global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
    attachTo: document.body,
  })
  return { wrapper, save, enrol, printer }
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
    // The language is the user's own, kept in the core: no switch without a way to keep it.
    expect(wrapper.find('[data-testid="language-switch"]').exists()).toBe(false)
  })

  it('界面语言: any user keeps their own language with the core, and the screen follows at once', async () => {
    const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages })
    const saveLanguage = vi.fn(async (l: Language) => l)
    const wrapper = mount(SettingsDialog, {
      props: { canEdit: false, printer: printerApi(), canEnrol: false, loadSync: async () => NOT_ENROLLED, enrol: vi.fn(), saveLanguage },
      global: { plugins: [i18n] },
      attachTo: document.body,
    })
    await flushPromises()
    const section = wrapper.get('[data-testid="user-language"]')
    expect(section.text()).toContain('只改变您本人的界面语言')
    await wrapper.get('[data-testid="language-en"] input').setValue(true)
    await flushPromises()
    expect(saveLanguage).toHaveBeenCalledWith('en')
    expect(wrapper.find('[data-testid="language-saved"]').exists()).toBe(true)
  })

  it('界面语言: a refusal is said, and the screen keeps its language', async () => {
    const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages })
    const saveLanguage = vi.fn(async () => {
      throw new ApiError({ code: 'INPUT_INVALID', message: 'no', params: { field: 'language' } })
    })
    const wrapper = mount(SettingsDialog, {
      props: { canEdit: false, printer: printerApi(), canEnrol: false, loadSync: async () => NOT_ENROLLED, enrol: vi.fn(), saveLanguage },
      global: { plugins: [i18n] },
      attachTo: document.body,
    })
    await flushPromises()
    await wrapper.get('[data-testid="language-en"] input').setValue(true)
    await flushPromises()
    expect(wrapper.get('[data-testid="language-error"]').text()).toBe('界面语言只能是中文或 English')
    expect(i18n.global.locale.value).toBe('zh-CN')
  })

  it('a supervisor changes the printer and the paper and saves', async () => {
    const { wrapper, save } = setup(true)
    await flushPromises()
    expect(wrapper.find('[data-testid="settings-read-only"]').exists()).toBe(false)
    const options = wrapper.findAll('[data-testid="settings-printer"] option').map((o) => o.text())
    expect(options).toEqual(['（未选择）', 'counter-1', 'counter-test（系统默认）'])
    await wrapper.get('[data-testid="settings-printer"]').setValue('counter-test')
    await wrapper.get('[data-testid="settings-paper-a5"] input').setValue(true)
    await wrapper.get('[data-testid="settings-save"]').trigger('click')
    await flushPromises()
    expect(save).toHaveBeenCalledWith({ printer: 'counter-test', paper: 'a5' })
    expect(wrapper.get('[data-testid="settings-saved"]').text()).toBe('已保存')
  })

  it('no printer chosen is saved as no printer', async () => {
    const { wrapper, save } = setup(true)
    await flushPromises()
    await wrapper.get('[data-testid="settings-printer"]').setValue('')
    await wrapper.get('[data-testid="settings-printer"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(save).toHaveBeenCalledWith({ printer: null, paper: 'a4' })
  })

  it('prints a test page on the printer chosen, and says where it went', async () => {
    const { wrapper, printer } = setup(true)
    await flushPromises()
    await wrapper.get('[data-testid="settings-printer"]').setValue('counter-test')
    await wrapper.get('[data-testid="settings-test-page"]').trigger('click')
    await flushPromises()
    expect(printer.testPage).toHaveBeenCalledWith('counter-test', 'a4')
    expect(wrapper.get('[data-testid="settings-test-sent"]').text()).toBe('测试页已送到 counter-test')
  })

  it('刷新列表 reads the queues again and gives the focus back to the list, so that Esc still closes', async () => {
    const { wrapper, printer } = setup(true)
    await flushPromises()
    printer.queues.mockResolvedValueOnce({ names: ['counter-1', 'counter-test', 'hall-2'], default: 'counter-test' })
    const refresh = wrapper.get('[data-testid="settings-printer-refresh"]')
    ;(refresh.element as HTMLElement).focus()
    await refresh.trigger('click')
    await flushPromises()
    expect(printer.queues).toHaveBeenCalledTimes(2)
    expect(wrapper.findAll('[data-testid="settings-printer"] option').map((o) => o.text())).toContain('hall-2')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="settings-printer"]').element)
  })

  it('marks a stored printer the computer no longer has, and shows a refusal in Chinese', async () => {
    const save = vi.fn(async (): Promise<PrintSettings> => {
      throw new ApiError({ code: 'PRINT_PRINTER_UNKNOWN', message: 'there is no printer "gone"', params: {} })
    })
    const wrapper = mount(SettingsDialog, {
      props: { canEdit: true, printer: printerApi(save, { printer: 'gone', paper: 'a5' }), canEnrol: false, loadSync: async () => NOT_ENROLLED, enrol: async () => ENROLLED },
      global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
      attachTo: document.body,
    })
    await flushPromises()
    expect(wrapper.findAll('[data-testid="settings-printer"] option').map((o) => o.text())).toContain('gone（本机已无此打印机）')
    await wrapper.get('[data-testid="settings-save"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="settings-error"]').text()).toBe('本机没有这台打印机：请从列表中选择本机的打印机')
  })

  it('a counter without a printer tells a cashier whom to ask, and lists nothing', async () => {
    const printer = printerApi(undefined, { printer: null, paper: 'a5' })
    const wrapper = mount(SettingsDialog, {
      props: { canEdit: false, printer, canEnrol: false, loadSync: async () => NOT_ENROLLED, enrol: async () => ENROLLED },
      global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
      attachTo: document.body,
    })
    await flushPromises()
    expect(wrapper.get('[data-testid="settings-no-printer"]').text()).toBe('本收费台尚未设置打印机，收据无法打印：请联系值班长在“设置”中选择打印机')
    expect(printer.queues).not.toHaveBeenCalled()
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

describe('SettingsDialog → 用户 and 柜台 (administrators)', () => {
  const USERS: UserListing[] = [
    { username: 'admin', display_name: '系统管理员', role: 'admin', locked_until: null, disabled: false },
    { username: 'cashier1', display_name: '李收费', role: 'cashier', locked_until: null, disabled: false },
    { username: 'locktest', display_name: 'locktest', role: 'cashier', locked_until: '2026-03-02T10:15:00+08:00', disabled: false },
    { username: 'old1', display_name: '老王', role: 'supervisor', locked_until: null, disabled: true },
  ]

  function userApi(overrides: Partial<UserAdmin> = {}): UserAdmin & Record<string, ReturnType<typeof vi.fn>> {
    const listing = (username: string) => async () => USERS.find((u) => u.username === username)!
    return {
      list: vi.fn(async () => USERS),
      add: vi.fn(async (i) => ({ username: i.username, display_name: i.display_name ?? i.username, role: i.role })),
      disable: vi.fn(async (u: string) => listing(u)()),
      enable: vi.fn(async (u: string) => listing(u)()),
      unlock: vi.fn(async (u: string) => listing(u)()),
      resetPassword: vi.fn(async (u: string) => listing(u)()),
      changeRole: vi.fn(async (u: string) => listing(u)()),
      ...overrides,
    } as UserAdmin & Record<string, ReturnType<typeof vi.fn>>
  }

  const PAY_WHERE = '请到供电营业厅收费窗口缴纳（现金或银行转账）'

  function counterApi(): CounterSettingsApi & { save: ReturnType<typeof vi.fn> } {
    return {
      load: vi.fn(async () => ({ idle_lock_minutes: 10, hotline: '95598', pay_where: PAY_WHERE })),
      save: vi.fn(async (i: CounterSettingsInput) => ({ idle_lock_minutes: i.idleLockMinutes, hotline: i.hotline, pay_where: i.payWhere })),
    }
  }

  function admin(users = userApi(), counter = counterApi(), isAdmin = true) {
    const wrapper = mount(SettingsDialog, {
      props: {
        canEdit: true,
        printer: printerApi(),
        canEnrol: isAdmin,
        loadSync: async () => NOT_ENROLLED,
        enrol: async () => ENROLLED,
        isAdmin,
        users,
        counter,
        me: 'admin',
      },
      global: { plugins: [createI18n({ legacy: false, locale: 'zh-CN', messages })] },
      attachTo: document.body,
    })
    return { wrapper, users, counter }
  }

  it('nobody but an administrator sees them', async () => {
    const { wrapper, users } = admin(userApi(), counterApi(), false)
    await flushPromises()
    expect(wrapper.find('[data-testid="user-settings"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="counter-settings"]').exists()).toBe(false)
    expect(users.list).not.toHaveBeenCalled()
  })

  it('lists the users with their state; nobody is offered to disable themselves', async () => {
    const { wrapper } = admin()
    await flushPromises()
    const rows = wrapper.findAll('[data-testid="user-row"]')
    expect(rows.map((r) => r.attributes('data-username'))).toEqual(['admin', 'cashier1', 'locktest', 'old1'])
    const state = (name: string) => wrapper.get(`[data-username="${name}"] [data-testid="user-state"]`).text()
    expect(state('cashier1')).toBe('正常')
    expect(state('locktest')).toBe('锁定至 2026-03-02 10:15')
    expect(state('old1')).toBe('已停用')
    expect(wrapper.find('[data-testid="user-disable-admin"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="user-unlock-locktest"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="user-unlock-cashier1"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="user-enable-old1"]').exists()).toBe(true)
  })

  it('every action is sent for that user, says what was done and reads the list again', async () => {
    const { wrapper, users } = admin()
    await flushPromises()
    await wrapper.get('[data-testid="user-unlock-locktest"]').trigger('click')
    await flushPromises()
    expect(users.unlock).toHaveBeenCalledWith('locktest')
    expect(wrapper.get('[data-testid="users-done"]').text()).toBe('已解锁 locktest')
    await wrapper.get('[data-testid="user-disable-cashier1"]').trigger('click')
    await flushPromises()
    expect(users.disable).toHaveBeenCalledWith('cashier1')
    await wrapper.get('[data-testid="user-enable-old1"]').trigger('click')
    await flushPromises()
    expect(users.enable).toHaveBeenCalledWith('old1')
    await wrapper.get('[data-testid="user-role-cashier1"]').setValue('supervisor')
    await wrapper.get('[data-testid="user-change-role-cashier1"]').trigger('click')
    await flushPromises()
    expect(users.changeRole).toHaveBeenCalledWith('cashier1', 'supervisor')
    expect(wrapper.get('[data-testid="users-done"]').text()).toBe('已将 cashier1 改为值班长，其登录已结束')
    expect(users.list).toHaveBeenCalledTimes(5)
  })

  it('adds a user only when the password was typed the same twice', async () => {
    const { wrapper, users } = admin()
    await flushPromises()
    await wrapper.get('[data-testid="user-add-username"]').setValue(' cashier9 ')
    await wrapper.get('[data-testid="user-add-display-name"]').setValue('张九')
    await wrapper.get('[data-testid="user-add-role"]').setValue('supervisor')
    await wrapper.get('[data-testid="user-add-password"]').setValue('Counter#20261')
    await wrapper.get('[data-testid="user-add-password"]').trigger('keydown', { key: 'Enter' })
    expect(document.activeElement).toBe(wrapper.get('[data-testid="user-add-again"]').element)
    await wrapper.get('[data-testid="user-add-again"]').setValue('Counter#20262')
    await wrapper.get('[data-testid="user-add-again"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(users.add).not.toHaveBeenCalled()
    expect(wrapper.get('[data-testid="users-invalid"]').text()).toBe('两次输入的密码不一致')
    expect(document.activeElement).toBe(wrapper.get('[data-testid="user-add-again"]').element)

    await wrapper.get('[data-testid="user-add-again"]').setValue('Counter#20261')
    await wrapper.get('[data-testid="user-add"]').trigger('click')
    await flushPromises()
    expect(users.add).toHaveBeenCalledWith({ username: 'cashier9', display_name: '张九', role: 'supervisor', password: 'Counter#20261' })
    expect(wrapper.get('[data-testid="users-done"]').text()).toBe('已添加用户 cashier9')
    // Nothing of the passwords is kept.
    expect((wrapper.get('[data-testid="user-add-password"]').element as HTMLInputElement).value).toBe('')
    expect((wrapper.get('[data-testid="user-add-again"]').element as HTMLInputElement).value).toBe('')
  })

  it('one action at a time (useBusy): a second Enter while a user is being added sends nothing more', async () => {
    let answer: (u: UserInfo) => void = () => undefined
    const add = vi.fn(() => new Promise<UserInfo>((r) => (answer = r)))
    const { wrapper, users } = admin(userApi({ add }))
    await flushPromises()
    await wrapper.get('[data-testid="user-add-username"]').setValue('cashier9')
    await wrapper.get('[data-testid="user-add-password"]').setValue('Counter#20261')
    await wrapper.get('[data-testid="user-add-again"]').setValue('Counter#20261')
    const again = wrapper.get('[data-testid="user-add-again"]')
    await again.trigger('keydown', { key: 'Enter' })
    expect(wrapper.get('[data-testid="user-add"]').text()).toBe('正在添加…')
    expect((wrapper.get('[data-testid="user-disable-cashier1"]').element as HTMLButtonElement).disabled).toBe(true)
    await again.trigger('keydown', { key: 'Enter' })
    await wrapper.get('[data-testid="user-add-form"]').trigger('submit')
    answer({ username: 'cashier9', display_name: 'cashier9', role: 'cashier' })
    await flushPromises()
    expect(add).toHaveBeenCalledTimes(1)
    expect(users.list).toHaveBeenCalledTimes(2) // on opening, and once after the add
    expect(wrapper.get('[data-testid="users-done"]').text()).toBe('已添加用户 cashier9')
    expect(wrapper.get('[data-testid="user-add"]').text()).toBe('添加用户')
  })

  it('a refusal stays on the error line until the next action, which clears it', async () => {
    const disable = vi.fn(async () => {
      throw new ApiError({ code: 'USER_GUARD', message: 'english', params: { rule: 'last_admin' } })
    })
    const { wrapper, users } = admin(userApi({ disable }))
    await flushPromises()
    await wrapper.get('[data-testid="user-disable-cashier1"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="users-error"]').text()).toBe('这是最后一位在用的系统管理员：请先添加另一位管理员')
    expect(wrapper.find('[data-testid="users-done"]').exists()).toBe(false)
    await wrapper.get('[data-testid="user-unlock-locktest"]').trigger('click')
    await flushPromises()
    expect(users.unlock).toHaveBeenCalledWith('locktest')
    expect(wrapper.find('[data-testid="users-error"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="users-done"]').text()).toBe('已解锁 locktest')
  })

  it("the core's refusals are translated: the password policy, USER_EXISTS, the guards", async () => {
    const refuse = (code: string, params: Record<string, string>) =>
      vi.fn(async () => {
        throw new ApiError({ code, message: 'english', params })
      })
    const users = userApi({
      add: refuse('PASSWORD_WEAK', { rule: 'user_name' }),
      disable: refuse('USER_GUARD', { rule: 'last_admin' }),
      changeRole: refuse('USER_GUARD', { rule: 'open_shift' }),
      unlock: refuse('USER_NOT_FOUND', { username: 'locktest' }),
    })
    const { wrapper } = admin(users)
    await flushPromises()
    const error = () => wrapper.get('[data-testid="users-error"]').text()

    await wrapper.get('[data-testid="user-add-username"]').setValue('cashier9')
    await wrapper.get('[data-testid="user-add-password"]').setValue('cashier9-pass')
    await wrapper.get('[data-testid="user-add-again"]').setValue('cashier9-pass')
    await wrapper.get('[data-testid="user-add"]').trigger('click')
    await flushPromises()
    expect(error()).toBe('密码不能包含用户名')
    expect(error()).not.toContain('english')

    await wrapper.get('[data-testid="user-disable-cashier1"]').trigger('click')
    await flushPromises()
    expect(error()).toBe('这是最后一位在用的系统管理员：请先添加另一位管理员')

    await wrapper.get('[data-testid="user-role-cashier1"]').setValue('finance')
    await wrapper.get('[data-testid="user-change-role-cashier1"]').trigger('click')
    await flushPromises()
    expect(error()).toBe('该用户有未交班的班次：交班后才能改为不收费的角色')

    await wrapper.get('[data-testid="user-unlock-locktest"]').trigger('click')
    await flushPromises()
    expect(error()).toBe('没有用户 locktest')

    users.add = refuse('USER_EXISTS', { username: 'cashier9' })
    await wrapper.setProps({ users: { ...users } })
    await wrapper.get('[data-testid="user-add-password"]').setValue('Counter#20261')
    await wrapper.get('[data-testid="user-add-again"]').setValue('Counter#20261')
    await wrapper.get('[data-testid="user-add"]').trigger('click')
    await flushPromises()
    expect(error()).toBe('用户名 cashier9 已存在，请换一个')
  })

  it('resets a password, typed twice', async () => {
    const { wrapper, users } = admin()
    await flushPromises()
    await wrapper.get('[data-testid="user-reset-cashier1"]').trigger('click')
    await flushPromises()
    expect(document.activeElement).toBe(wrapper.get('[data-testid="user-reset-password"]').element)
    await wrapper.get('[data-testid="user-reset-password"]').setValue('Another#20261')
    await wrapper.get('[data-testid="user-reset-password"]').trigger('keydown', { key: 'Enter' })
    await wrapper.get('[data-testid="user-reset-again"]').setValue('Another#20261')
    await wrapper.get('[data-testid="user-reset-again"]').trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(users.resetPassword).toHaveBeenCalledWith('cashier1', 'Another#20261')
    expect(wrapper.find('[data-testid="user-reset-form"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="users-done"]').text()).toBe('已重置 cashier1 的密码，其登录已结束')
  })

  it('柜台: the idle minutes, 1–120, saved with Enter', async () => {
    const { wrapper, counter } = admin()
    await flushPromises()
    const input = wrapper.get('[data-testid="counter-idle-lock"]')
    expect((input.element as HTMLInputElement).value).toBe('10')
    for (const bad of ['0', '121', '1.5', 'abc', '']) {
      await input.setValue(bad)
      await input.trigger('keydown', { key: 'Enter' })
      await flushPromises()
      expect(wrapper.get('[data-testid="counter-invalid"]').text(), bad).toBe('请输入 1–120 之间的整数')
    }
    expect(counter.save).not.toHaveBeenCalled()
    await input.setValue('５')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(counter.save).toHaveBeenCalledWith({ idleLockMinutes: 5, hotline: '95598', payWhere: PAY_WHERE })
    expect(wrapper.get('[data-testid="counter-saved"]').text()).toBe('已保存')
    expect((input.element as HTMLInputElement).value).toBe('5')
  })

  it('柜台: the hotline and where to pay, printed on the notices, each checked at its field', async () => {
    const { wrapper, counter } = admin()
    await flushPromises()
    const hotline = wrapper.get('[data-testid="counter-hotline"]')
    const payWhere = wrapper.get('[data-testid="counter-pay-where"]')
    expect([(hotline.element as HTMLInputElement).value, (payWhere.element as HTMLInputElement).value]).toEqual(['95598', PAY_WHERE])
    await hotline.setValue('   ')
    await hotline.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="counter-hotline-invalid"]').text()).toBe('请填写服务热线（1–30 个字符）')
    expect(document.activeElement).toBe(hotline.element)
    await hotline.setValue(' 0931-95598 ')
    await payWhere.setValue('x'.repeat(201))
    await payWhere.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-testid="counter-pay-where-invalid"]').text()).toBe('请用一行（1–200 个字）写明缴费地点及方式')
    expect(wrapper.find('[data-testid="counter-hotline-invalid"]').exists()).toBe(false)
    expect(counter.save).not.toHaveBeenCalled()
    await payWhere.setValue('城关营业厅 1 号窗口，现金或转账')
    await payWhere.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(counter.save).toHaveBeenCalledWith({ idleLockMinutes: 10, hotline: '0931-95598', payWhere: '城关营业厅 1 号窗口，现金或转账' })
    expect(wrapper.get('[data-testid="counter-saved"]').text()).toBe('已保存')
  })

  it('柜台: a field the core refuses is said at that field', async () => {
    const { wrapper, counter } = admin()
    counter.save.mockRejectedValueOnce(new ApiError({ code: 'INPUT_INVALID', message: 'x', params: { field: 'hotline', reason: 'give the service hotline' } }))
    await flushPromises()
    await wrapper.get('[data-testid="counter-save"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-testid="counter-hotline-invalid"]').text()).toBe('服务热线应为 1–30 个字符')
    expect(wrapper.find('[data-testid="counter-error"]').exists()).toBe(false)
    expect(document.activeElement).toBe(wrapper.get('[data-testid="counter-hotline"]').element)
  })
})
