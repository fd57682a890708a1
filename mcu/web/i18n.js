// SPDX-License-Identifier: MIT
// Strings of the console and the join page, Vietnamese (default) and English. Elements carry
// data-i18n="key" (text) or data-i18n-placeholder / data-i18n-title; t(key) is for scripts.
'use strict';
const MCU_STRINGS = {
  vi: {
    'console.title': 'Điều hành hội nghị', 'token.ask': 'Nhập mã quản trị (admin token) để điều hành:',
    'token.ok': 'Vào', 'token.bad': 'Mã quản trị không đúng hoặc API quản trị đang tắt.',
    'room': 'Phòng', 'layout': 'Bố cục', 'mute.all': 'Tắt tiếng tất cả', 'lock': 'Khoá phòng',
    'unlock': 'Mở khoá phòng', 'locked': 'Phòng đang khoá', 'view.grid': 'Điểm cầu', 'view.roll': 'Điểm danh',
    'hands': 'Giơ tay phát biểu', 'hands.none': 'Chưa có ai giơ tay', 'mute': 'Tắt tiếng', 'unmute': 'Bật tiếng',
    'floor': 'Cho phát biểu', 'pin': 'Ghim', 'unpin': 'Bỏ ghim', 'kick': 'Mời ra', 'lower': 'Hạ tay',
    'state.connected': 'Đang kết nối', 'state.held': 'Mất kết nối (giữ chỗ)', 'state.absent': 'Vắng mặt',
    'never': 'Chưa vào', 'since': 'Có mặt từ', 'first': 'Vào lần đầu', 'reconnects': 'Số lần vào lại',
    'site': 'Điểm cầu', 'status': 'Trạng thái', 'talking': 'Đang nói', 'muted': 'Đã tắt tiếng',
    'on.floor': 'Đang phát biểu', 'pinned': 'Đã ghim', 'guest': 'khách', 'rtt': 'Trễ', 'loss': 'Mất gói',
    'jitter': 'Dao động', 'in': 'Nhận', 'out': 'Gửi', 'connected.count': 'điểm cầu đang kết nối',
    'events.down': 'Mất kết nối tới máy chủ, đang kết nối lại…', 'no.rooms': 'Chưa có phòng nào.',
    'confirm.kick': 'Mời điểm cầu này ra khỏi phòng?', 'lang': 'English',
    'join.title': 'Tham gia hội nghị', 'join.name': 'Tên điểm cầu', 'join.token': 'Mã điểm cầu (nếu có)',
    'join.join': 'Tham gia', 'join.leave': 'Rời phòng', 'join.mute': 'Tắt micro', 'join.unmute': 'Bật micro',
    'join.hand': 'Giơ tay', 'join.hand.down': 'Hạ tay', 'join.preview': 'Hình ảnh của bạn',
    'join.meeting': 'Hội nghị', 'join.state.idle': 'Chưa tham gia', 'join.state.joining': 'Đang tham gia…',
    'join.state.in': 'Đã tham gia', 'join.state.restart': 'Mạng chập chờn, đang khôi phục…',
    'join.state.rejoin': 'Đang tham gia lại…', 'join.state.left': 'Đã rời phòng',
    'join.need.name': 'Hãy nhập tên điểm cầu hoặc mã điểm cầu.', 'join.nocam': 'Không mở được camera/micro: ',
  },
  en: {
    'console.title': 'Meeting console', 'token.ask': 'Enter the admin token to run the meeting:',
    'token.ok': 'Enter', 'token.bad': 'The admin token is wrong, or the admin API is off.',
    'room': 'Room', 'layout': 'Layout', 'mute.all': 'Mute all', 'lock': 'Lock room', 'unlock': 'Unlock room',
    'locked': 'Room locked', 'view.grid': 'Sites', 'view.roll': 'Roll-call', 'hands': 'Raised hands',
    'hands.none': 'No hands raised', 'mute': 'Mute', 'unmute': 'Unmute', 'floor': 'Give floor', 'pin': 'Pin',
    'unpin': 'Unpin', 'kick': 'Remove', 'lower': 'Lower hand', 'state.connected': 'Connected',
    'state.held': 'Dropped (seat kept)', 'state.absent': 'Absent', 'never': 'Never came', 'since': 'Present since',
    'first': 'First joined', 'reconnects': 'Re-joins', 'site': 'Site', 'status': 'Status', 'talking': 'Talking',
    'muted': 'Muted', 'on.floor': 'Has the floor', 'pinned': 'Pinned', 'guest': 'guest', 'rtt': 'RTT',
    'loss': 'Loss', 'jitter': 'Jitter', 'in': 'In', 'out': 'Out', 'connected.count': 'sites connected',
    'events.down': 'Lost the server, reconnecting…', 'no.rooms': 'No rooms yet.',
    'confirm.kick': 'Remove this site from the room?', 'lang': 'Tiếng Việt',
    'join.title': 'Join the meeting', 'join.name': 'Site name', 'join.token': 'Site token (if you have one)',
    'join.join': 'Join', 'join.leave': 'Leave', 'join.mute': 'Mute mic', 'join.unmute': 'Unmute mic',
    'join.hand': 'Raise hand', 'join.hand.down': 'Lower hand', 'join.preview': 'Your camera',
    'join.meeting': 'Meeting', 'join.state.idle': 'Not joined', 'join.state.joining': 'Joining…',
    'join.state.in': 'In the meeting', 'join.state.restart': 'Network trouble, recovering…',
    'join.state.rejoin': 'Joining again…', 'join.state.left': 'Left the meeting',
    'join.need.name': 'Enter a site name or a site token.', 'join.nocam': 'Cannot open camera/microphone: ',
  },
};

const mcuI18n = {
  lang: (localStorage.getItem('mcu-lang') === 'en') ? 'en' : 'vi',
  t(key) { return MCU_STRINGS[this.lang][key] || MCU_STRINGS.vi[key] || key; },
  apply(root) {
    document.documentElement.lang = this.lang;
    for (const el of (root || document).querySelectorAll('[data-i18n]')) el.textContent = this.t(el.dataset.i18n);
    for (const el of (root || document).querySelectorAll('[data-i18n-placeholder]')) el.placeholder = this.t(el.dataset.i18nPlaceholder);
  },
  toggle() {
    this.lang = this.lang === 'vi' ? 'en' : 'vi';
    localStorage.setItem('mcu-lang', this.lang);
    this.apply();
  },
};
