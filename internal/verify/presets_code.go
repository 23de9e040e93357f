package verify

// codePresets are the providers whose scheme is code, one file each;
// tokenPresets, jwtPresets and edPresets hold the families of them.
func codePresets() []preset {
	return []preset{
		genericPreset(),
		twilioPreset(),
		vonageSMSPreset(),
		sendgridPreset(),
		ebayPreset(),
		mailgunPreset(),
		linearPreset(),
		rechargePreset(),
		msgraphPreset(),
		stravaPreset(),
		websubPreset(),
		asanaPreset(),
		notionPreset(),
	}
}
